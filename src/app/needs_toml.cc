#include "app/needs_toml.h"

#include <toml++/toml.h>
#include <algorithm>
#include <map>

#include "kernel/abi_value.h"

namespace esta::app {
namespace {

using kernel::abi::AbiValue;
using kernel::abi::ValueList;
using kernel::abi::ValueMap;

// Converts TOML to the value encoding, remembering the line of every key path so the
// manifest decoder's diagnostics (which name keys) can point into the file.
class Converter {
  public:
    Converter(const std::string& source, Diagnostics& problems)
        : m_source(source), m_problems(problems) {}

    std::optional<AbiValue> convert(const toml::node& node, const std::string& path) {
        m_lines.emplace(path, node.source().begin.line);
        if (const auto* table = node.as_table()) {
            ValueMap map;
            for (const auto& [key, value] : *table) {
                const std::string child =
                    path.empty() ? std::string(key.str()) : path + "." + std::string(key.str());
                auto converted = convert(value, child);
                if (converted) map.emplace_back(std::string(key.str()), std::move(*converted));
            }
            return AbiValue(std::move(map));
        }
        if (const auto* array = node.as_array()) {
            ValueList list;
            for (std::size_t i = 0; i < array->size(); ++i) {
                auto converted = convert(*array->get(i), path + "[" + std::to_string(i) + "]");
                if (converted) list.push_back(std::move(*converted));
            }
            return AbiValue(std::move(list));
        }
        if (auto text = node.value<std::string>()) return AbiValue(*text);
        if (node.is_integer()) return AbiValue(static_cast<i64>(*node.value<int64_t>()));
        if (node.is_boolean()) return AbiValue(*node.value<bool>());
        if (node.is_floating_point()) return AbiValue(*node.value<double>());
        problem(path, "dates and times have no meaning in a module declaration",
                node.source().begin.line);
        return std::nullopt;
    }

    void problem(const std::string& key, std::string message, std::optional<u32> line) {
        Diagnostic diagnostic;
        diagnostic.code = Status::Invalid;
        diagnostic.where = m_source;
        diagnostic.line = line;
        diagnostic.message = key.empty() ? std::move(message) : key + ": " + message;
        m_problems.push_back(std::move(diagnostic));
    }

    // The line of `key` or of its nearest enclosing key that has one.
    std::optional<u32> line_of(std::string key) const {
        while (true) {
            if (auto found = m_lines.find(key); found != m_lines.end() && found->second > 0)
                return found->second;
            const auto cut = key.find_last_of(".[");
            if (cut == std::string::npos) return std::nullopt;
            key.resize(cut);
        }
    }

  private:
    const std::string& m_source;
    Diagnostics& m_problems;
    std::map<std::string, u32> m_lines;
};

}  // namespace

std::optional<kernel::ModuleManifest> parse_needs_toml(std::string_view text,
                                                       const std::string& source,
                                                       Diagnostics& problems) {
    Converter converter(source, problems);
    toml::table table;
    try {
        table = toml::parse(text, source);
    } catch (const toml::parse_error& error) {
        converter.problem("", std::string(error.description()), error.source().begin.line);
        return std::nullopt;
    }
    const std::size_t before = problems.size();
    auto value = converter.convert(table, "");
    if (!value || problems.size() > before) return std::nullopt;
    auto& map = std::get<ValueMap>(value->data);
    if (value->find("abi") == nullptr) map.emplace(map.begin(), "abi", kernel::kManifestAbiVersion);

    // The manifest decoder is the one judge of what a declaration may say; its diagnostics
    // name keys ("estalogic.manifest needs.kv.kind"), mapped back here to lines of the file.
    Diagnostics decoded;
    auto manifest = kernel::decode_module_manifest(kernel::abi::encode_value(*value), decoded);
    if (manifest) return std::move(*manifest);
    const std::string prefix = std::string(kernel::kManifestSectionName) + " ";
    for (const Diagnostic& diagnostic : decoded) {
        std::string key = diagnostic.where.starts_with(prefix)
                              ? diagnostic.where.substr(prefix.size())
                              : std::string();
        converter.problem(key, diagnostic.message, converter.line_of(key));
    }
    // In the order of the file, which is how people fix them.
    std::stable_sort(problems.begin() + static_cast<std::ptrdiff_t>(before), problems.end(),
                     [](const Diagnostic& a, const Diagnostic& b) {
                         return a.line.value_or(0) < b.line.value_or(0);
                     });
    return std::nullopt;
}

}  // namespace esta::app
