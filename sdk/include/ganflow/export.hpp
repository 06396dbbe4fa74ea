#pragma once
// Everything is built with hidden visibility; the SDK's public types and functions opt back in.
#define GANFLOW_API __attribute__((visibility("default")))
