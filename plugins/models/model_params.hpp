#pragma once
// Params shared by basic_generator and basic_critic.
#include <ganflow/ganflow.hpp>
#include <ganflow/layers/conv_layer.hpp>

#include <string>

namespace ganflow_models {

// fastai's DCGAN layer loops only close for powers of two; anything else is refused up front.
inline void require_power_of_two(int64_t v, const std::string& param) {
  if (v < 8 || (v & (v - 1)) != 0)
    throw ganflow::Error("must be a power of two >= 8, got " + std::to_string(v), "", param);
}

// Declares block_order (v1 or v2, default v2), read into `field`.
template <class S>
ganflow::ParamSpec& add_block_order(ganflow::Fields<S>& f, ganflow::layers::BlockOrder S::*field) {
  using ganflow::layers::BlockOrder;
  return f.add_enum("block_order", field, {{"v1", BlockOrder::V1}, {"v2", BlockOrder::V2}}, "v2",
                    "v2: conv->BN->act with fastai 2.x init (kaiming_uniform_, bias N(0,0.01), BN bias 1e-3); "
                    "v1: conv->act->BN with fastai 1.x init (kaiming_normal_, bias 0). Default v2: the DCGAN paper's "
                    "and current fastai's order, BN normalises the pre-activations.");
}

// Declares norm (batch or none, default batch), read into `field`.
template <class S>
ganflow::ParamSpec& add_norm(ganflow::Fields<S>& f, ganflow::layers::Norm S::*field) {
  using ganflow::layers::Norm;
  return f.add_enum("norm", field, {{"batch", Norm::Batch}, {"none", Norm::None}}, "batch",
                    "batch: BatchNorm in every inner block, as fastai; none: no normalisation (WGAN-GP critics, "
                    "and data-parallel runs that must not depend on each rank's batch statistics).");
}

}  // namespace ganflow_models
