#include "app/wast/counts.h"

#include <charconv>
#include <optional>

namespace esta::app::wast {
namespace {

std::vector<std::string_view> split_tabs(std::string_view line) {
    std::vector<std::string_view> fields;
    while (true) {
        auto tab = line.find('\t');
        fields.push_back(line.substr(0, tab));
        if (tab == std::string_view::npos) break;
        line.remove_prefix(tab + 1);
    }
    return fields;
}

std::optional<u32> parse_u32(std::string_view text) {
    u32 value = 0;
    auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;
    return value;
}

Error fail(Diagnostic& diagnostic, u32 line, std::string message) {
    diagnostic.code = Status::Malformed;
    diagnostic.line = line;
    diagnostic.message = std::move(message);
    return Err(Status::Malformed, "wast.counts");
}

}  // namespace

Result<CountsTable> CountsTable::parse(std::string_view text, Diagnostic& diagnostic) {
    diagnostic = Diagnostic{};
    diagnostic.where = "counts.tsv";

    // Column index of each assertion type, of `file` and of `assertions_total`.
    std::array<std::optional<std::size_t>, kCommandTypeCount> type_columns{};
    std::optional<std::size_t> file_column;
    std::optional<std::size_t> total_column;

    CountsTable table;
    u32 line_number = 0;
    bool have_header = false;
    while (!text.empty()) {
        auto newline = text.find('\n');
        std::string_view line = text.substr(0, newline);
        text.remove_prefix(newline == std::string_view::npos ? text.size() : newline + 1);
        ++line_number;
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        if (line.empty() || line.front() == '#') continue;
        auto fields = split_tabs(line);

        if (!have_header) {
            have_header = true;
            for (std::size_t i = 0; i < fields.size(); ++i) {
                if (fields[i] == "file") file_column = i;
                if (fields[i] == "assertions_total") total_column = i;
                for (int type = 0; type < kCommandTypeCount; ++type) {
                    auto command = static_cast<CommandType>(type);
                    if (is_assertion(command) && fields[i] == command_type_name(command))
                        type_columns[type] = i;
                }
            }
            if (!file_column || !total_column)
                return fail(diagnostic, line_number, "header lacks `file` or `assertions_total`");
            continue;
        }

        ExpectedCounts row;
        auto number = [&](std::size_t column) -> Result<u32> {
            auto value = column < fields.size() ? parse_u32(fields[column]) : std::nullopt;
            if (!value)
                return fail(diagnostic, line_number,
                            "not a count in column " + std::to_string(column + 1));
            return *value;
        };
        if (*file_column >= fields.size()) return fail(diagnostic, line_number, "no file name");
        for (int type = 0; type < kCommandTypeCount; ++type) {
            if (type_columns[type]) row.commands[type] = ESTA_TRY(number(*type_columns[type]));
        }
        row.assertions_total = ESTA_TRY(number(*total_column));
        // A repeated row must agree with the first; the table is data, not code, so check it.
        std::string file(fields[*file_column]);
        auto [it, inserted] = table.m_rows.emplace(file, row);
        if (!inserted && (it->second.commands != row.commands ||
                          it->second.assertions_total != row.assertions_total))
            return fail(diagnostic, line_number, "conflicting rows for " + file);
    }
    if (!have_header) return fail(diagnostic, line_number, "empty file");
    return table;
}

const ExpectedCounts* CountsTable::find(std::string_view file) const {
    auto it = m_rows.find(file);
    return it == m_rows.end() ? nullptr : &it->second;
}

std::vector<std::string> compare_counts(const CommandCounts& ran, const ExpectedCounts& expected) {
    std::vector<std::string> differences;
    u32 total = 0;
    for (int type = 0; type < kCommandTypeCount; ++type) {
        auto command = static_cast<CommandType>(type);
        if (!is_assertion(command)) continue;
        total += ran[type];
        if (ran[type] != expected.commands[type]) {
            differences.push_back(std::string(command_type_name(command)) + ": ran " +
                                  std::to_string(ran[type]) + ", expected " +
                                  std::to_string(expected.commands[type]));
        }
    }
    if (total != expected.assertions_total) {
        differences.push_back("assertions_total: ran " + std::to_string(total) + ", expected " +
                              std::to_string(expected.assertions_total));
    }
    return differences;
}

}  // namespace esta::app::wast
