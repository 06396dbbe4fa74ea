// A test plugin whose registration throws: the host must report it, not crash.
#include <ganflow/ganflow.hpp>

GANFLOW_PLUGIN("throws", "1.0") { throw std::runtime_error("deliberate failure in registration"); }
