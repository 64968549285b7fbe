// Renders the ABI table (abi_table.h) as the project's docs/ABI.md and as the C guest
// header sdk/c/estalogic.h. Pure functions of the table, so a test can regenerate both in
// memory and compare them with the committed files (K-20). The tool estalogic-abi
// (tools/abi_gen) writes them.
#pragma once

#include <string>

namespace esta::kernel::abi {

inline constexpr const char* kMarkdownPath = "docs/ABI.md";
inline constexpr const char* kCHeaderPath = "sdk/c/estalogic.h";

std::string render_markdown();
std::string render_c_header();

}  // namespace esta::kernel::abi
