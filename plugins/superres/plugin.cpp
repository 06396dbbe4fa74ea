// ganflow_superres: the stages of fastai's superres GAN pipeline beyond learner and GAN fits.
#include <ganflow/plugin.hpp>

#include "evaluate_superres.hpp"
#include "save_predictions.hpp"

GANFLOW_PLUGIN("ganflow_superres", "0.1.0") {
  registry.add(ganflow_superres::save_predictions_spec());
  registry.add(ganflow_superres::evaluate_superres_spec());
}
