#pragma once
#include <ganflow/ganflow.hpp>

namespace ganflow_metrics {
void register_accuracy_thresh_expand(ganflow::Registry& r);
}
