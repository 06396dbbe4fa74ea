#pragma once
// One register function per node type of ganflow_quality; plugin.cpp calls them all.
#include "ganflow/ganflow.hpp"

namespace ganflow_quality {

void register_fmnist_classifier(ganflow::Registry& r);
void register_cross_entropy(ganflow::Registry& r);
void register_accuracy(ganflow::Registry& r);
void register_fd(ganflow::Registry& r);
void register_kid(ganflow::Registry& r);
void register_class_histogram(ganflow::Registry& r);
void register_precision_recall(ganflow::Registry& r);
void register_evaluate_stage(ganflow::Registry& r);
void register_quality_monitor(ganflow::Registry& r);

}  // namespace ganflow_quality
