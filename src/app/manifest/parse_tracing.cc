// [observability.tracing.otlp_headers]: headers every OTLP export carries (a collector's
// bearer token or API key). Each value is a secret (S-2), read when the node starts.
#include "app/manifest/sections.h"

namespace esta::app::manifest {

namespace {

// RFC 9110 token characters: what a header field name may be made of.
bool is_header_name(std::string_view name) {
    if (name.empty() || name.size() > 128) return false;
    for (char c : name) {
        const bool alnum =
            (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
        if (!alnum && std::string_view("!#$%&'*+-.^_`|~").find(c) == std::string_view::npos)
            return false;
    }
    return true;
}

}  // namespace

void parse_otlp_headers(ParseContext& context, TableReader& tracing, Observability& observability) {
    const auto* headers = tracing.table("otlp_headers");
    if (!headers) return;
    TableReader reader(*headers, tracing.child_path("otlp_headers"), context.reporter);
    for (auto&& [key, node] : *headers) {
        std::string name(key.str());
        if (!is_header_name(name)) {
            reader.error(name,
                         "is not an HTTP header name (1 to 128 of a-z, A-Z, 0-9 and "
                         "!#$%&'*+-.^_`|~)");
            (void)reader.node(name);
            continue;
        }
        if (auto secret = parse_secret(context, reader, name))
            observability.otlp_headers.emplace_back(std::move(name), *secret);
    }
    reader.finish();
}

}  // namespace esta::app::manifest
