file(READ "${INPUT}" content)
# A raw string literal with a delimiter that cannot occur in YAML we ship.
set(code "// Generated from ${INPUT}; do not edit.\n#include <string_view>\nnamespace ${NAMESPACE} {\nstd::string_view ${SYMBOL}() {\n  static constexpr std::string_view text = R\"sluice_embed(${content})sluice_embed\";\n  return text;\n}\n}  // namespace ${NAMESPACE}\n")
file(WRITE "${OUTPUT}" "${code}")
