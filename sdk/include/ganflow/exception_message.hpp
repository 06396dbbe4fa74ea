#pragma once
// The text of an exception for a one-line error: a LibTorch error (c10::Error) without the
// C++ backtrace its what() appends, any other exception's what().
#include <exception>
#include <string>

#include "ganflow/export.hpp"

namespace ganflow {

GANFLOW_API std::string exception_message(const std::exception& e);
// Its first non-empty line: TorchScript's compile and load errors go on with the source around
// the problem.
GANFLOW_API std::string exception_line(const std::exception& e);

}  // namespace ganflow
