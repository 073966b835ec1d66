# pyweld_embed(KIND FILE...): a C file, embedded_KIND.c in the current binary
# directory, holding each file's bytes as the table `embedded_KIND`
# (util/embed.h), so that pyweld carries what it needs at run time inside
# itself.  Returns its path in PYWELD_EMBED_C.
function(pyweld_embed kind)
  set(out ${CMAKE_CURRENT_BINARY_DIR}/embedded_${kind}.c)
  string(REPLACE ";" "|" files_arg "${ARGN}")
  add_custom_command(
    OUTPUT ${out}
    COMMAND ${CMAKE_COMMAND} -DOUT=${out} -DSYMBOL=embedded_${kind} "-DFILES=${files_arg}"
            -P ${PROJECT_SOURCE_DIR}/cmake/embed.cmake
    VERBATIM
    DEPENDS ${ARGN} ${PROJECT_SOURCE_DIR}/cmake/embed.cmake
    COMMENT "Embedding ${kind} files")
  set(PYWELD_EMBED_C ${out} PARENT_SCOPE)
endfunction()
