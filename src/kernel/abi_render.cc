#include "kernel/abi_render.h"

#include <cctype>
#include <cstdio>
#include <string_view>

#include "kernel/abi_table.h"

namespace esta::kernel::abi {

namespace {

constexpr std::string_view kGeneratedNote =
    "Generated from src/kernel/abi_table.cc by `estalogic-abi --write <source dir>`; do not "
    "edit. A unit test (K20_GeneratedFilesMatchTheTable) fails when this file and the table "
    "disagree.";

std::string upper(std::string_view text) {
    std::string result(text);
    for (char& c : result)
        c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return result;
}

std::string format_value(i64 value, bool hex) {
    char text[32];
    if (hex && value >= 0) {
        std::snprintf(text, sizeof text, "0x%llX", static_cast<unsigned long long>(value));
    } else {
        std::snprintf(text, sizeof text, "%lld", static_cast<long long>(value));
    }
    return text;
}

// Greedy word wrap; each line starts with `prefix`.
std::string wrap(std::string_view text, std::string_view prefix, std::size_t width = 96) {
    std::string out;
    std::string line(prefix);
    bool line_empty = true;
    std::size_t position = 0;
    while (position < text.size()) {
        std::size_t end = text.find(' ', position);
        if (end == std::string_view::npos) end = text.size();
        std::string_view word = text.substr(position, end - position);
        position = end + 1;
        if (word.empty()) continue;
        if (!line_empty && line.size() + 1 + word.size() > width) {
            out += line + "\n";
            line = std::string(prefix);
            line_empty = true;
        }
        if (!line_empty) line += ' ';
        line += word;
        line_empty = false;
    }
    if (!line_empty) out += line + "\n";
    return out;
}

// Text for a markdown table cell: a literal '|' would end the cell.
std::string cell(std::string_view text) {
    std::string out;
    for (char c : text) {
        if (c == '|') out += '\\';
        out += c;
    }
    return out;
}

std::string markdown_signature(const Function& function) {
    std::string text = "(";
    for (std::size_t i = 0; i < function.params.size(); ++i) {
        if (i) text += ", ";
        text += function.params[i].name;
        text += ": ";
        text += val_type_name(function.params[i].type);
    }
    text += ") -> ";
    text += function.result_kind == ResultKind::NoReturn ? "never returns"
                                                         : val_type_name(function.result);
    return text;
}

void markdown_functions(std::string& out) {
    out += "## Functions (import module `";
    out += kImportModule;
    out += "`)\n\n| name | signature | returns on success |\n|---|---|---|\n";
    for (const Function& function : functions()) {
        out += "| [`" + std::string(function.name) + "`](#" + std::string(function.name) + ") | `" +
               signature(function) + "` | " + cell(function.returns) + " |\n";
    }
    for (const Function& function : functions()) {
        out += "\n### " + std::string(function.name) + "\n\n`" + std::string(function.name) +
               markdown_signature(function) + "`\n\n";
        out += wrap(function.summary, "");
        out += "\n";
        if (!function.needs.empty()) out += "- Needs: " + std::string(function.needs) + ".\n";
        out += "- Returns: " + std::string(function.returns);
        out += function.result_kind == ResultKind::NoReturn ? ".\n" : ", or `-status`.\n";
        out += "- Arguments:";
        if (function.params.empty()) out += " none.";
        out += "\n";
        for (const Param& param : function.params) {
            out += "  - `" + std::string(param.name) +
                   "`: " + std::string(val_type_name(param.type)) + "\n";
        }
        out += "- Example (C): `" + std::string(function.example) + "`\n";
    }
    out += "\n";
}

void markdown_constants(std::string& out) {
    for (const ConstantGroup& group : constant_groups()) {
        out += "### " + std::string(group.title) + "\n\n" + std::string(group.intro) +
               "\n\n| C name | value | meaning |\n|---|---|---|\n";
        for (const Constant& constant : group.constants) {
            out += "| `ESTA_" + std::string(group.prefix) + upper(constant.name) + "` | " +
                   format_value(constant.value, group.hex) + " | " + cell(constant.meaning) +
                   " |\n";
        }
        out += "\n";
    }
}

}  // namespace

std::string render_markdown() {
    std::string out;
    out += "# estalogic ABI v" + std::to_string(kVersionMajor) + "." +
           std::to_string(kVersionMinor) + "\n\n";
    out += "<!-- " + std::string(kGeneratedNote) + " -->\n\n";
    out +=
        "The contract between guest modules and the kernel. C and C++ guests include "
        "`sdk/c/estalogic.h`, generated from the same table.\n\n"
        "## Conventions\n\n"
        "- Import module name: `estalogic`. Pointers and lengths are `i32` offsets into the "
        "caller's exported memory `memory`; every range is bounds-checked before use (a bad "
        "range is `OUT_OF_BOUNDS`, never a kernel fault).\n"
        "- Every function returns `i32` (or `i64` where shown): `>= 0` is success (a value, a "
        "length, a handle), `< 0` is `-status` from the table below.\n"
        "- Handles are `i32` values local to the process (slot index + generation); 0 is never "
        "valid, and a value means nothing in another process.\n"
        "- Integers are little-endian. Strings are UTF-8, length-delimited, never "
        "NUL-terminated.\n"
        "- Later minor versions may add functions; nothing here changes meaning within v1.\n\n";

    out += "## Status codes\n\n| code | name | meaning |\n|---|---|---|\n";
    for (const StatusEntry& entry : statuses()) {
        out += "| " + std::to_string(entry.code) + " | `" + std::string(entry.name) + "` | " +
               std::string(entry.meaning) + " |\n";
    }
    out +=
        "\nCheck order for any handle operation (the first failure is reported; a use is "
        "consumed only when the operation is performed): ";
    bool first = true;
    for (Status status : check_order()) {
        if (!first) out += ", ";
        first = false;
        out += "`" + std::string(status_abi_name(status)) + "`";
    }
    out += ".\n\n";

    markdown_functions(out);

    out += "## The info record written by `recv` (version " + std::to_string(kInfoRecordVersion) +
           ", " + std::to_string(kInfoRecordSize) +
           " bytes)\n\nNo padding; the kernel writes `size` first, so a guest compiled for a "
           "larger record can check it.\n\n| offset | size | field | C type | meaning |\n"
           "|---|---|---|---|---|\n";
    for (const InfoField& field : info_record()) {
        std::string c_type(field.c_type);
        if (field.count > 1) c_type += "[" + std::to_string(field.count) + "]";
        out += "| " + std::to_string(field.offset) + " | " + std::to_string(field.size) + " | `" +
               std::string(field.name) + "` | `" + c_type + "` | " + cell(field.meaning) + " |\n";
    }
    out += "\n## Constants\n\n";
    markdown_constants(out);

    out +=
        "## Driver calls (`call` on a driver handle)\n\nRequests and replies use the value "
        "encoding below.\n\n";
    for (const HandleKindOps& kind : op_codes()) {
        out += "### " + std::string(kind.kind) + " (" + std::string(kind.objects) + ")\n\n";
        out += "| op | C name | request | reply |\n|---|---|---|---|\n";
        for (const OpCode& op : kind.ops) {
            out += "| " + std::to_string(op.code) + " | `ESTA_" + std::string(kind.prefix) +
                   std::string(op.name) + "` | " + cell(op.request) + " | " + cell(op.reply) +
                   " |\n";
        }
        out += "\n";
    }

    out +=
        "## Value encoding\n\nA tag byte, then the value (requests, replies, restrictions, "
        "cap_info records). Malformed input is `INVALID_ARGS`.\n\n"
        "| tag | C name | encoding |\n|---|---|---|\n";
    for (const ValueTag& tag : value_tags()) {
        out += "| " + std::to_string(tag.tag) + " | `ESTA_VALUE_" + std::string(tag.name) + "` | " +
               cell(tag.encoding) + " |\n";
    }
    out +=
        "\n## Restrictions (`cap_derive`)\n\nA value-encoded map; every key is optional and "
        "each one only adds a restriction.\n\n| key | value | meaning |\n|---|---|---|\n";
    for (const RestrictionKey& key : restriction_keys()) {
        out += "| `" + std::string(key.key) + "` | " + std::string(key.value_type) + " | " +
               cell(key.meaning) + " |\n";
    }
    out +=
        "\n## Module exports (two module styles)\n\n| export | type | meaning |\n|---|---|---|\n";
    for (const ModuleExport& item : module_exports()) {
        out += "| `" + std::string(item.name) + "` | `" + std::string(item.signature) + "` | " +
               cell(item.meaning) + " |\n";
    }
    out += "\n## Custom sections\n\n| section | C name | contents |\n|---|---|---|\n";
    for (const CustomSection& section : custom_sections()) {
        out += "| `" + std::string(section.name) + "` | `ESTA_" + std::string(section.macro) +
               "` | " + cell(section.meaning) + " |\n";
    }
    return out;
}

namespace {

std::string c_param_type(const Param& param) {
    switch (param.c_type) {
        case CType::Int:
            return param.type == ValType::I32   ? "esta_i32"
                   : param.type == ValType::I64 ? "esta_i64"
                                                : "esta_f64";
        case CType::Handle:
            return "esta_handle";
        case CType::InBytes:
            return "const void*";
        case CType::OutBytes:
            return "void*";
        case CType::InText:
            return "const char*";
        case CType::Length:
            return "esta_u32";
        case CType::InHandles:
            return "const esta_handle*";
        case CType::OutInfo:
            return "esta_info*";
    }
    return "esta_i32";
}

void c_function(std::string& out, const Function& function) {
    std::string comment = std::string(function.name) + ": " + std::string(function.summary);
    if (!function.needs.empty()) comment += " Needs: " + std::string(function.needs) + ".";
    comment += " Returns: " + std::string(function.returns);
    comment += function.result_kind == ResultKind::NoReturn ? "." : ", or -status.";
    out += "/*\n" + wrap(comment, " * ") + " */\n";
    out += "ESTALOGIC_IMPORT(" + std::string(function.name) + ")\n";
    if (function.result_kind == ResultKind::NoReturn) {
        out += "__attribute__((noreturn)) void";
    } else {
        out += function.result == ValType::I64 ? "esta_i64" : "esta_i32";
    }
    out += " esta_" + std::string(function.name) + "(";
    if (function.params.empty()) out += "void";
    for (std::size_t i = 0; i < function.params.size(); ++i) {
        if (i) out += ", ";
        out += c_param_type(function.params[i]) + " " + std::string(function.params[i].name);
    }
    out += ");\n\n";
}

}  // namespace

std::string render_c_header() {
    std::string out;
    out += "/* estalogic.h: the guest side of estalogic ABI v" + std::to_string(kVersionMajor) +
           "." + std::to_string(kVersionMinor) + " for C and C++.\n";
    out += wrap(kGeneratedNote, " * ");
    out +=
        " *\n"
        " * Freestanding: needs no libc (works with clang --target=wasm32 -nostdlib, with or\n"
        " * without wasi-libc). Pointers are offsets into the module's memory on wasm32.\n"
        " * Every function returns >= 0 on success and -status on failure. */\n"
        "#ifndef ESTALOGIC_H\n#define ESTALOGIC_H\n\n";
    out += "#define ESTA_ABI_VERSION_MAJOR " + std::to_string(kVersionMajor) + "\n";
    out += "#define ESTA_ABI_VERSION_MINOR " + std::to_string(kVersionMinor) + "\n";
    out += "#define ESTA_IMPORT_MODULE \"" + std::string(kImportModule) + "\"\n\n";
    out +=
        "typedef __INT32_TYPE__ esta_i32;\n"
        "typedef __INT64_TYPE__ esta_i64;\n"
        "typedef __UINT8_TYPE__ esta_u8;\n"
        "typedef __UINT32_TYPE__ esta_u32;\n"
        "typedef __UINT64_TYPE__ esta_u64;\n"
        "typedef double esta_f64;\n"
        "typedef esta_i32 esta_handle;\n\n"
        "#ifdef __cplusplus\n#define ESTA_STATIC_ASSERT(c, m) static_assert(c, m)\n"
        "extern \"C\" {\n#else\n#define ESTA_STATIC_ASSERT(c, m) _Static_assert(c, m)\n#endif\n\n"
        "#if defined(__wasm__)\n"
        "#define ESTALOGIC_IMPORT(name) \\\n"
        "    __attribute__((import_module(\"estalogic\"), import_name(#name)))\n"
        "#else\n#define ESTALOGIC_IMPORT(name)\n#endif\n\n";

    out += "/* Status codes: functions return -code on failure. */\n";
    for (const StatusEntry& entry : statuses()) {
        out += "#define ESTA_" + std::string(entry.name) + " " + std::to_string(entry.code) +
               " /* " + std::string(entry.meaning) + " */\n";
    }
    out += "\n";

    for (const ConstantGroup& group : constant_groups()) {
        out += "/* " + std::string(group.title) + ": " + std::string(group.intro) + " */\n";
        for (const Constant& constant : group.constants) {
            std::string value = format_value(constant.value, group.hex);
            if (constant.value < 0) value = "(" + value + ")";
            out += "#define ESTA_" + std::string(group.prefix) + upper(constant.name) + " " +
                   value + "\n";
        }
        out += "\n";
    }
    out +=
        "/* The priority bits of send's flags for message priority p (0..7). */\n"
        "#define ESTA_SEND_PRIORITY(p) \\\n"
        "    ((((esta_i32)(p)) << ESTA_SEND_PRIORITY_SHIFT) & ESTA_SEND_PRIORITY_MASK)\n\n";

    for (const HandleKindOps& kind : op_codes()) {
        out += "/* Driver ops, " + std::string(kind.kind) + " (" + std::string(kind.objects) +
               "). */\n";
        for (const OpCode& op : kind.ops) {
            out += "#define ESTA_" + std::string(kind.prefix) + std::string(op.name) + " " +
                   std::to_string(op.code) + " /* (" + std::string(op.request) + ") -> " +
                   std::string(op.reply) + " */\n";
        }
        out += "\n";
    }
    out += "/* Value encoding tags: a tag byte, then the value. */\n";
    for (const ValueTag& tag : value_tags()) {
        out += "#define ESTA_VALUE_" + std::string(tag.name) + " " + std::to_string(tag.tag) +
               " /* " + std::string(tag.encoding) + " */\n";
    }
    out += "\n/* Custom sections the kernel reads. */\n";
    for (const CustomSection& section : custom_sections()) {
        out += "#define ESTA_" + std::string(section.macro) + " \"" + std::string(section.name) +
               "\"\n";
    }

    out += "\n/* The info record recv writes (version " + std::to_string(kInfoRecordVersion) +
           ", " + std::to_string(kInfoRecordSize) +
           " bytes, no padding). */\ntypedef struct esta_info {\n";
    for (const InfoField& field : info_record()) {
        out += "    " + std::string(field.c_type) + " " + std::string(field.name);
        if (field.count > 1) out += "[" + std::to_string(field.count) + "]";
        out += "; /* " + std::string(field.meaning) + " */\n";
    }
    out += "} esta_info;\n";
    out += "ESTA_STATIC_ASSERT(sizeof(esta_info) == " + std::to_string(kInfoRecordSize) +
           ", \"info record size\");\n";
    for (const InfoField& field : info_record()) {
        out += "ESTA_STATIC_ASSERT(__builtin_offsetof(esta_info, " + std::string(field.name) +
               ") == " + std::to_string(field.offset) + ", \"info." + std::string(field.name) +
               "\");\n";
    }
    out += "\n";
    for (const Function& function : functions())
        c_function(out, function);
    out += "#ifdef __cplusplus\n}  /* extern \"C\" */\n#endif\n\n#endif /* ESTALOGIC_H */\n";
    return out;
}

}  // namespace esta::kernel::abi
