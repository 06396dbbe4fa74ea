#pragma once
// A critic network made class-conditional. The critic is split into its body (images ->
// features [bs, C, H, W]) and its output head (a 4x4 valid conv, flattened: one logit per 4x4
// window, [bs, N]); the conditioning adds
// - projection (Miyato & Koyama 2018): each window's features, dotted with its class's
//   embedding [C*4*4], join that window's logit; for a 4x4 feature map (basic_critic) this is
//   logit + <embed(y), flatten(features)>, the projection discriminator;
// - acgan (Odena et al. 2017): class logits [bs, n_classes] from a linear layer on the
//   average-pooled features, appended after the adversarial logits (aux_classes).
#include <ganflow/fields.hpp>
#include <ganflow/torchscript.hpp>

#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/modules/embedding.h>
#include <torch/nn/modules/linear.h>

#include "labelled_net.hpp"

namespace ganflow_models {

enum class CriticConditioning { Projection, Acgan, Both };

class ConditionalCritic : public LabelledNet, public ganflow::Scriptable {
 public:
  // critic: the unconditional network, whose last two modules are the output conv and the
  // flatten; features: the channels that reach the output conv.
  ConditionalCritic(torch::nn::Sequential critic, int64_t features, int64_t n_classes, CriticConditioning c);
  // images [bs, C, H, W], labels int64 [bs] -> [bs, N (+ n_classes with acgan)].
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& labels) override;
  int64_t aux_classes() const { return aux_ ? n_classes_ : 0; }
  std::string torchscript() const override;

 private:
  int64_t n_classes_;
  torch::nn::Sequential body_, head_;
  torch::nn::Embedding embed_{nullptr};  // projection
  torch::nn::Linear aux_{nullptr};       // acgan
};

// The model node of a conditional critic; check_input as LabelledNetModel's.
std::shared_ptr<ganflow::Model> conditional_critic_model(torch::nn::Sequential critic, int64_t features,
                                                         int64_t n_classes, CriticConditioning c,
                                                         LabelledNetModel::InputCheck check_input);

// Declares `conditioning` (projection, acgan or both; default projection), read into `field`.
template <class S>
ganflow::ParamSpec& add_critic_conditioning(ganflow::Fields<S>& f, CriticConditioning S::*field) {
  return f.add_enum("conditioning", field,
                    {{"projection", CriticConditioning::Projection}, {"acgan", CriticConditioning::Acgan},
                     {"both", CriticConditioning::Both}},
                    "projection",
                    "With n_classes > 0: projection, logit + <embed(y), features> (Miyato & Koyama; StudioGAN's "
                    "default); acgan, an auxiliary classifier whose class logits the acgan losses train; both.");
}

}  // namespace ganflow_models
