#include "app/manifest/table_reader.h"

#include <algorithm>
#include <cmath>

#include "app/manifest/suggest.h"

namespace esta::app::manifest {

namespace {
constexpr std::size_t kMaxQuoted = 60;
}  // namespace

Diagnostic Reporter::make(SourcePosition at, std::string_view key_path,
                          std::string_view message) const {
    Diagnostic diagnostic;
    diagnostic.code = Status::Invalid;
    diagnostic.where = m_file;
    if (at.line != 0) {
        diagnostic.where += ':';
        diagnostic.where += std::to_string(at.line);
        diagnostic.where += ':';
        diagnostic.where += std::to_string(at.column);
    }
    if (!key_path.empty()) {
        diagnostic.message = key_path;
        diagnostic.message += ": ";
    }
    diagnostic.message += message;
    return diagnostic;
}

void Reporter::error(SourcePosition at, std::string_view key_path, std::string_view message) {
    m_errors.push_back({at, make(at, key_path, message)});
}

void Reporter::warning(SourcePosition at, std::string_view key_path, std::string_view message) {
    m_warnings.push_back({at, make(at, key_path, message)});
}

Diagnostics Reporter::in_file_order(std::vector<Positioned>& list) {
    // Reported in the order the parser met them; read in the order of the file. Those
    // without a position (about the whole manifest) come last.
    auto key = [](SourcePosition at) {
        return std::pair<u64, u64>(at.line == 0 ? UINT64_MAX : at.line, at.column);
    };
    std::stable_sort(list.begin(), list.end(), [&](const Positioned& a, const Positioned& b) {
        return key(a.at) < key(b.at);
    });
    Diagnostics result;
    for (auto& item : list)
        result.push_back(std::move(item.diagnostic));
    list.clear();
    return result;
}

SourcePosition position_of(const toml::node& node) {
    const auto& begin = node.source().begin;
    return SourcePosition{begin.line, begin.column};
}

SourcePosition position_of(const toml::key& key) {
    const auto& begin = key.source().begin;
    return SourcePosition{begin.line, begin.column};
}

std::string_view type_phrase(toml::node_type type) {
    switch (type) {
        case toml::node_type::table:
            return "a table";
        case toml::node_type::array:
            return "an array";
        case toml::node_type::string:
            return "a string";
        case toml::node_type::integer:
            return "an integer";
        case toml::node_type::floating_point:
            return "a float";
        case toml::node_type::boolean:
            return "a boolean";
        case toml::node_type::date:
            return "a date";
        case toml::node_type::time:
            return "a time";
        case toml::node_type::date_time:
            return "a date-time";
        case toml::node_type::none:
            break;
    }
    return "nothing";
}

std::string in_quotes(std::string_view text) {
    std::string result = "\"";
    std::size_t count = 0;
    for (char c : text) {
        if (++count > kMaxQuoted) {
            result += "...";
            break;
        }
        auto byte = static_cast<unsigned char>(c);
        if (c == '"' || c == '\\') {
            result += '\\';
            result += c;
        } else if (byte < 0x20 || byte == 0x7f) {
            result += '?';
        } else {
            result += c;
        }
    }
    result += '"';
    return result;
}

TableReader::TableReader(const toml::table& table, std::string key_path, Reporter& reporter)
    : m_table(table), m_path(std::move(key_path)), m_reporter(reporter) {}

std::string key_segment(std::string_view key) {
    bool bare = !key.empty();
    for (char c : key) {
        bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
        if (!letter && c != '_' && c != '-') bare = false;
    }
    return bare ? std::string(key) : in_quotes(key);
}

std::string TableReader::child_path(std::string_view key) const {
    if (m_path.empty()) return key_segment(key);
    std::string path = m_path;
    path += '.';
    path += key_segment(key);
    return path;
}

SourcePosition TableReader::position(std::string_view key) const {
    if (const auto* value = m_table.get(key)) return position_of(*value);
    return position();
}

const toml::node* TableReader::known(std::string_view key) {
    if (m_known_set.emplace(key).second) m_known.emplace_back(key);
    return m_table.get(key);
}

void TableReader::type_error(std::string_view key, const toml::node& node,
                             std::string_view expected) {
    std::string message = "expected ";
    message += expected;
    message += ", found ";
    message += type_phrase(node.type());
    m_reporter.error(position_of(node), child_path(key), message);
}

const toml::node* TableReader::node(std::string_view key) {
    return known(key);
}

std::optional<std::string> TableReader::string(std::string_view key) {
    const auto* value = known(key);
    if (!value) return std::nullopt;
    if (const auto* text = value->as_string()) return text->get();
    type_error(key, *value, "a string");
    return std::nullopt;
}

std::optional<bool> TableReader::boolean(std::string_view key) {
    const auto* value = known(key);
    if (!value) return std::nullopt;
    if (const auto* flag = value->as_boolean()) return flag->get();
    type_error(key, *value, "true or false");
    return std::nullopt;
}

std::optional<i64> TableReader::integer(std::string_view key, i64 min, i64 max) {
    const auto* value = known(key);
    if (!value) return std::nullopt;
    const auto* number = value->as_integer();
    if (!number) {
        type_error(key, *value, "an integer");
        return std::nullopt;
    }
    i64 result = number->get();
    if (result < min || result > max) {
        std::string message = std::to_string(result);
        message += " is out of range; allowed: ";
        message += std::to_string(min);
        message += " to ";
        message += std::to_string(max);
        m_reporter.error(position_of(*value), child_path(key), message);
        return std::nullopt;
    }
    return result;
}

std::optional<double> TableReader::floating(std::string_view key, double min, double max) {
    const auto* value = known(key);
    if (!value) return std::nullopt;
    double result = 0;
    if (const auto* number = value->as_floating_point()) {
        result = number->get();
    } else if (const auto* whole = value->as_integer()) {
        result = static_cast<double>(whole->get());
    } else {
        type_error(key, *value, "a number");
        return std::nullopt;
    }
    if (!(result >= min && result <= max)) {  // Also refuses NaN.
        char buffer[96];
        std::snprintf(buffer, sizeof buffer, "%g is out of range; allowed: %g to %g", result, min,
                      max);
        m_reporter.error(position_of(*value), child_path(key), buffer);
        return std::nullopt;
    }
    return result;
}

const toml::table* TableReader::table(std::string_view key) {
    const auto* value = known(key);
    if (!value) return nullptr;
    if (const auto* result = value->as_table()) return result;
    type_error(key, *value, "a table");
    return nullptr;
}

const toml::array* TableReader::array(std::string_view key) {
    const auto* value = known(key);
    if (!value) return nullptr;
    if (const auto* result = value->as_array()) return result;
    type_error(key, *value, "an array");
    return nullptr;
}

std::optional<std::vector<std::string>> TableReader::strings(std::string_view key) {
    const auto* list = array(key);
    if (!list) return std::nullopt;
    std::vector<std::string> result;
    bool ok = true;
    for (std::size_t i = 0; i < list->size(); ++i) {
        const auto& element = *list->get(i);
        if (const auto* text = element.as_string()) {
            result.push_back(text->get());
            continue;
        }
        std::string path = child_path(key);
        path += '[';
        path += std::to_string(i);
        path += ']';
        std::string message = "expected a string, found ";
        message += type_phrase(element.type());
        m_reporter.error(position_of(element), path, message);
        ok = false;
    }
    if (!ok) return std::nullopt;
    return result;
}

void TableReader::report_not_allowed(std::string_view key, std::string_view value,
                                     std::string_view what,
                                     const std::vector<std::string>& allowed) {
    std::string message = in_quotes(value);
    message += " is not ";
    message += what;
    message += "; allowed: ";
    message += join_names(allowed);
    error(key, message);
}

void TableReader::error(std::string_view key, std::string_view message) const {
    m_reporter.error(position(key), child_path(key), message);
}

void TableReader::missing(std::string_view key, std::string_view what_to_write) const {
    std::string message = "missing; ";
    message += what_to_write;
    m_reporter.error(position(), child_path(key), message);
}

void TableReader::finish() {
    for (auto&& [key, value] : m_table) {
        std::string_view name = key.str();
        if (m_known_set.count(std::string(name)) != 0) continue;
        std::string message = "unknown key";
        if (auto suggestion = closest_name(name, m_known)) {
            message += "; did you mean ";
            message += in_quotes(*suggestion);
            message += '?';
        } else {
            message += ';';
        }
        message += " allowed: ";
        message += join_names(m_known);
        auto at = position_of(key);
        if (at.line == 0) at = position_of(value);
        m_reporter.error(at, child_path(name), message);
    }
}

}  // namespace esta::app::manifest
