# embed_text(OUT_CPP INPUT NAMESPACE SYMBOL): generates a .cpp that defines
# `std::string_view NAMESPACE::SYMBOL()` returning the contents of INPUT, so a
# file in the tree (the default YAML config) becomes part of the binary.
function(embed_text out_var input namespace symbol)
  set(out "${CMAKE_CURRENT_BINARY_DIR}/${symbol}.cpp")
  add_custom_command(
    OUTPUT "${out}"
    COMMAND ${CMAKE_COMMAND} -DINPUT=${input} -DOUTPUT=${out}
            -DNAMESPACE=${namespace} -DSYMBOL=${symbol}
            -P "${PROJECT_SOURCE_DIR}/cmake/embed_text_run.cmake"
    DEPENDS "${input}" "${PROJECT_SOURCE_DIR}/cmake/embed_text_run.cmake"
    VERBATIM)
  set(${out_var} "${out}" PARENT_SCOPE)
endfunction()
