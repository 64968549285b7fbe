// [scripts.NAME]: the Redis Lua scripts a kv grant may run (REQUIREMENTS D-5). A script
// computes its own keys, so key-prefix scoping cannot be checked on what it does; it runs
// only when registered here by SHA-1 with the key patterns it may be given (relative to the
// grant's prefix, `*` as the last character matches any rest), and only through a grant
// that lists it in `scripts`.
#include <openssl/evp.h>

#include "app/manifest/sections.h"

namespace esta::app::manifest {

namespace {

constexpr std::size_t kMaxScript = 64 * 1024;
constexpr std::size_t kMaxKeyPatterns = 64;

std::string sha1_hex(const std::string& source) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int size = 0;
    if (EVP_Digest(source.data(), source.size(), digest, &size, EVP_sha1(), nullptr) != 1) {
        return "";
    }
    static constexpr char kDigits[] = "0123456789abcdef";
    std::string hex;
    for (unsigned int i = 0; i < size; ++i) {
        hex += kDigits[digest[i] >> 4];
        hex += kDigits[digest[i] & 0xF];
    }
    return hex;
}

bool is_sha1_hex(const std::string& text) {
    if (text.size() != 40) return false;
    for (char c : text)
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
    return true;
}

void parse_script(TableReader& table, drivers::KvScript& script) {
    if (auto source = table.string("source")) {
        if (source->empty() || source->size() > kMaxScript) {
            table.error("source", "expected 1 to 65536 characters of Lua");
        }
        script.source = *source;
    } else if (!table.has("source")) {
        table.missing("source", "write the script's Lua source");
    }
    if (auto sha1 = table.string("sha1")) {
        if (!is_sha1_hex(*sha1)) {
            table.error("sha1", "expected 40 lower-case hex digits (`redis-cli SCRIPT LOAD`)");
        } else if (!script.source.empty() && sha1_hex(script.source) != *sha1) {
            table.error("sha1", "does not match the source, whose SHA-1 is " +
                                    sha1_hex(script.source) + "; register the script you reviewed");
        }
        script.sha1 = *sha1;
    } else if (!table.has("sha1")) {
        table.missing("sha1", "write the source's SHA-1 (40 hex digits), as EVALSHA names it");
    }
    if (auto keys = table.strings("keys")) {
        if (keys->size() > kMaxKeyPatterns) table.error("keys", "lists more than 64 patterns");
        for (const auto& pattern : *keys) {
            auto star = pattern.find('*');
            if (pattern.empty() || (star != std::string::npos && star + 1 != pattern.size())) {
                table.error("keys", "\"" + pattern +
                                        "\" is not a key pattern; allowed: a key relative to "
                                        "the grant's prefix, `*` only as the last character");
            }
        }
        script.keys = *keys;
    } else if (!table.has("keys")) {
        table.missing("keys", "list the keys the script may be given, e.g. [\"counter:*\"]");
    }
}

}  // namespace

void parse_scripts(ParseContext& context, TableReader& root) {
    const auto* scripts = root.table("scripts");
    if (!scripts) return;
    TableReader reader(*scripts, "scripts", context.reporter);
    for (auto&& [key, node] : *scripts) {
        std::string name(key.str());
        const auto* table = reader.table(name);
        if (!table || !check_name(context, name, reader.child_path(name), position_of(key)))
            continue;
        TableReader script_table(*table, reader.child_path(name), context.reporter);
        drivers::KvScript script;
        script.name = name;
        parse_script(script_table, script);
        script_table.finish();
        context.manifest.scripts.push_back(std::move(script));
    }
    reader.finish();
}

}  // namespace esta::app::manifest
