// Test-only reader for one flat JSON object per line: keys to scalar values as text. Nested
// arrays and objects are skipped whole (kept as raw text). Independent of rules/esta_json.c
// so that the reference and the format tests do not trust the code they check.
#pragma once

#include <cctype>
#include <map>
#include <stdexcept>
#include <string>
#include <string_view>

namespace esta::test {

struct JsonScalar {
    std::string text;  // string content, or the literal/number/raw nested text
    bool is_string = false;
};

using JsonObject = std::map<std::string, JsonScalar>;

inline JsonObject parse_flat_json(std::string_view line) {
    JsonObject object;
    size_t i = 0;
    auto skip = [&] {
        while (i < line.size() && std::isspace(static_cast<unsigned char>(line[i])))
            ++i;
    };
    auto expect = [&](char ch) {
        skip();
        if (i >= line.size() || line[i] != ch)
            throw std::runtime_error("json: expected " + std::string(1, ch));
        ++i;
    };
    auto read_string = [&] {
        expect('"');
        std::string text;
        while (i < line.size() && line[i] != '"') {
            if (line[i] == '\\') text += line[i++];
            text += line[i++];
        }
        expect('"');
        return text;
    };
    expect('{');
    skip();
    if (i < line.size() && line[i] == '}') return object;
    while (true) {
        skip();
        const std::string key = read_string();
        expect(':');
        skip();
        JsonScalar value;
        if (line[i] == '"') {
            value.text = read_string();
            value.is_string = true;
        } else if (line[i] == '[' || line[i] == '{') {
            const size_t start = i;
            int depth = 0;
            bool in_string = false;
            for (; i < line.size(); ++i) {
                const char ch = line[i];
                if (in_string) {
                    if (ch == '\\')
                        ++i;
                    else if (ch == '"')
                        in_string = false;
                } else if (ch == '"') {
                    in_string = true;
                } else if (ch == '[' || ch == '{') {
                    ++depth;
                } else if ((ch == ']' || ch == '}') && --depth == 0) {
                    ++i;
                    break;
                }
            }
            value.text = std::string(line.substr(start, i - start));
        } else {
            const size_t start = i;
            while (i < line.size() && line[i] != ',' && line[i] != '}' &&
                   !std::isspace(static_cast<unsigned char>(line[i]))) {
                ++i;
            }
            value.text = std::string(line.substr(start, i - start));
        }
        object[key] = value;
        skip();
        if (i < line.size() && line[i] == ',') {
            ++i;
            continue;
        }
        expect('}');
        return object;
    }
}

}  // namespace esta::test
