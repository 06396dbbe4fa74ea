# ganflow_add_plugin(NAME SOURCES src...): builds a ganflow plugin library (a MODULE .so)
# with hidden visibility, linked to the SDK. Load it by putting its folder on
# GANFLOW_PLUGIN_PATH, or install it with `install(TARGETS NAME DESTINATION ${GANFLOW_PLUGIN_INSTALL_DIR})`.
function(ganflow_add_plugin NAME)
  cmake_parse_arguments(ARG "" "OUTPUT_DIRECTORY" "SOURCES" ${ARGN})
  add_library(${NAME} MODULE ${ARG_SOURCES})
  if(TARGET ganflow_sdk)
    target_link_libraries(${NAME} PRIVATE ganflow_sdk)
  else()
    target_link_libraries(${NAME} PRIVATE ganflow::sdk)
  endif()
  set_target_properties(${NAME} PROPERTIES PREFIX "lib" CXX_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON DEFINE_SYMBOL "" INSTALL_RPATH "$ORIGIN/../..")
  if(ARG_OUTPUT_DIRECTORY)
    set_target_properties(${NAME} PROPERTIES LIBRARY_OUTPUT_DIRECTORY ${ARG_OUTPUT_DIRECTORY})
  endif()
  if(COMMAND ganflow_use_pch)
    ganflow_use_pch(${NAME})
  endif()
  if(TARGET ganflow_sdk AND NOT ARG_OUTPUT_DIRECTORY)  # ganflow's own plugins install beside the SDK
    install(TARGETS ${NAME} LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}/ganflow/plugins)
  endif()
endfunction()
