// The one translation unit with the implementations of stb_image (the PNGs png_decoder.cpp does
// not take; JPEG decoding is libjpeg-turbo's, in image_io.cpp) and stb_image_write. stb_image
// keeps its failure reason in a thread-local, and STBI_FAILURE_USERMSG makes every reason a string
// literal: the terse one for an unknown chunk is written into a static buffer, which concurrent
// decodes would race on. Built without UBSan's shift-base check under GANFLOW_SANITIZE (sdk/CMakeLists.txt).
#define STBI_FAILURE_USERMSG
#define STB_IMAGE_IMPLEMENTATION
#define STBI_ONLY_PNG
#define STB_IMAGE_WRITE_IMPLEMENTATION
#define STBI_WRITE_NO_STDIO
#include <stb/stb_image.h>
#include <stb/stb_image_write.h>
