#pragma once
// SDK ABI version and the plain-data descriptor every plugin library exports.
// The host reads the descriptor straight from the ELF file (section ".ganflow_desc")
// before it runs any code of the library, and refuses a mismatch.
#include <cstdint>

// A change that breaks plugins built earlier bumps the major; an addition bumps the minor.
#ifndef GANFLOW_ABI_MAJOR
#define GANFLOW_ABI_MAJOR 3  // 2: GenLoss::forward(CriticBatch), Trainer::info; 3: class-conditional GANs
#endif
#ifndef GANFLOW_ABI_MINOR
#define GANFLOW_ABI_MINOR 6  // 3.0: Batch labels, NoiseSource::n_classes, ConditionalModel, CriticBatch labels;
                             // 3.1: Scriptable, to_torchscript, ScriptedModule; 3.2: CriticBatch::critic_steps;
                             // 3.3: CriticBatch::fake_critic, ScriptedModule::forward_outputs;
                             // 3.4: StepVariant; 3.5: to_state_dict; 3.6: write_file
                             // (a plugin that builds a CriticBatch itself and hands it to another
                             // plugin's loss must be built against the host's minor: its struct
                             // lacks the later fields)
#endif

#define GANFLOW_DESCRIPTOR_MAGIC "GANFLOW"
#define GANFLOW_DESCRIPTOR_SECTION ".ganflow_desc"

extern "C" {
// No pointers: the bytes in the file are the whole value.
struct ganflow_plugin_descriptor {
  char magic[8];          // "GANFLOW\0"
  uint32_t struct_size;   // sizeof(ganflow_plugin_descriptor) when built
  uint32_t abi_major;
  uint32_t abi_minor;
  uint32_t torch_major;
  uint32_t torch_minor;
  uint32_t cxx11_abi;     // _GLIBCXX_USE_CXX11_ABI
  char library[64];       // library name, e.g. "ganflow_models"
  char version[32];       // library version string
};
}
