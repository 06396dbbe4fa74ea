// ganflow_quality: GAN quality in the feature space of a Fashion-MNIST classifier trained in-tree
// (Fréchet distance, KID, class histogram, precision/recall), the evaluate stage and the
// in-loop quality_monitor callback; plus the classifier, its loss and its accuracy metric.
#include "registrations.hpp"

GANFLOW_PLUGIN("ganflow_quality", "0.1.0") {
  using namespace ganflow_quality;
  register_fmnist_classifier(registry);
  register_cross_entropy(registry);
  register_accuracy(registry);
  register_fd(registry);
  register_kid(registry);
  register_class_histogram(registry);
  register_precision_recall(registry);
  register_evaluate_stage(registry);
  register_quality_monitor(registry);
}
