// The suite's counts.tsv: how many assertions of each kind every .wast file holds, so the
// runner can prove it ran all of them (a converter or runner that silently drops commands
// would otherwise look like a pass).
#pragma once

#include <array>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "app/wast/script.h"
#include "base/diagnostic.h"
#include "base/result.h"

namespace esta::app::wast {

// Number of commands of each type, indexed by CommandType.
using CommandCounts = std::array<u32, kCommandTypeCount>;

struct ExpectedCounts {
    CommandCounts commands{};  // Only the assert_* entries are filled from the file.
    u32 assertions_total = 0;
};

class CountsTable {
  public:
    // Parses the TSV: a header row naming the columns (`file`, one column per assertion
    // type named as in the JSON, `assertions_total`; others are ignored), then a row per
    // file. Errors name the line.
    static Result<CountsTable> parse(std::string_view text, Diagnostic& diagnostic);

    // By file name without directories ("address.wast"); nullptr when absent.
    const ExpectedCounts* find(std::string_view file) const;
    std::size_t size() const { return m_rows.size(); }

  private:
    std::map<std::string, ExpectedCounts, std::less<>> m_rows;
};

// What the runner ran of one file compared with the table: one line per difference
// ("assert_return: ran 205, expected 206"); empty when they agree.
std::vector<std::string> compare_counts(const CommandCounts& ran, const ExpectedCounts& expected);

}  // namespace esta::app::wast
