// ganflow_metrics: epoch metrics accumulated on the device.
#include "accuracy_thresh_expand.hpp"

GANFLOW_PLUGIN("ganflow_metrics", "0.1.0") { ganflow_metrics::register_accuracy_thresh_expand(registry); }
