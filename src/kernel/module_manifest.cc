#include "kernel/module_manifest.h"

#include <algorithm>
#include <string_view>
#include <utility>

#include "kernel/abi_value.h"

namespace esta::kernel {
namespace {

using abi::AbiValue;
using abi::ValueList;
using abi::ValueMap;

constexpr std::string_view kTopKeys = "abi, name, version, needs, exports";

std::string_view value_type_name(const AbiValue& value) {
    static constexpr std::string_view kNames[] = {"null",      "bool",  "i64",    "f64",
                                                  "text",      "bytes", "list",   "map",
                                                  "timestamp", "uuid",  "decimal"};
    return kNames[value.data.index()];
}

std::optional<ObjectType> object_type_from_name(std::string_view name) {
#define ESTA_KIND_FROM_NAME(enumerator, code, abi_name, rights, text) \
    if (name == abi_name) return ObjectType::enumerator;
    ESTA_OBJECT_TYPE_LIST(ESTA_KIND_FROM_NAME)
#undef ESTA_KIND_FROM_NAME
    return std::nullopt;
}

std::string kind_names() {
    std::string names;
#define ESTA_KIND_NAME_LIST(enumerator, code, abi_name, rights, text) \
    names += names.empty() ? "" : ", ";                               \
    names += abi_name;
    ESTA_OBJECT_TYPE_LIST(ESTA_KIND_NAME_LIST)
#undef ESTA_KIND_NAME_LIST
    return names;
}

std::optional<Right> kernel_right_from_name(std::string_view name) {
    for (unsigned bit = 0; bit < kFirstCustomRightBit; ++bit) {
        auto right = static_cast<Right>(u64{1} << bit);
        if (!right_name(right).empty() && right_name(right) == name) return right;
    }
    return std::nullopt;
}

// Collects the problems of one manifest, each naming the key it is about.
class ManifestDecoder {
  public:
    explicit ManifestDecoder(Diagnostics& problems) : m_problems(problems) {}

    void problem(std::string_view key, std::string message, std::optional<u64> offset = {}) {
        Diagnostic diagnostic;
        diagnostic.code = Status::Invalid;
        diagnostic.where = std::string(kManifestSectionName);
        if (!key.empty()) {
            diagnostic.where += ' ';
            diagnostic.where += key;
        }
        diagnostic.message = std::move(message);
        diagnostic.offset = offset;
        m_problems.push_back(std::move(diagnostic));
        ++m_count;
    }
    bool failed() const { return m_count > 0; }

    const std::string* text(std::string_view key, const AbiValue& value, u32 max_bytes) {
        const auto* text = value.get<std::string>();
        if (text == nullptr) {
            wrong_type(key, "text", value);
            return nullptr;
        }
        if (text->empty() || text->size() > max_bytes) {
            problem(key, "must be 1 to " + std::to_string(max_bytes) + " bytes of text, not " +
                             std::to_string(text->size()));
            return nullptr;
        }
        // Names end up in logs, audit records and terminals: no control characters.
        if (std::any_of(text->begin(), text->end(),
                        [](char c) { return static_cast<u8>(c) < 0x20 || c == 0x7f; })) {
            problem(key, "must not contain control characters");
            return nullptr;
        }
        return text;
    }

    void wrong_type(std::string_view key, std::string_view expected, const AbiValue& value) {
        problem(key, "must be " + std::string(expected) + ", not " +
                         std::string(value_type_name(value)));
    }

    void abi(const AbiValue& value, ModuleManifest& manifest) {
        const auto* number = value.get<i64>();
        if (number == nullptr) return wrong_type("abi", "i64 (the ABI major version, 1)", value);
        if (*number > kManifestAbiVersion)
            return problem(
                "abi", "the module was built for ABI v" + std::to_string(*number) +
                           ", but this kernel runs ABI v" + std::to_string(kManifestAbiVersion) +
                           ": run it on a kernel that supports ABI v" + std::to_string(*number));
        if (*number < 1)
            return problem("abi",
                           "must be an ABI major version (1), not " + std::to_string(*number));
        manifest.abi = *number;
    }

    void style(const AbiValue& value, ModuleManifest& manifest) {
        const auto* text = value.get<std::string>();
        if (text == nullptr) return wrong_type("exports", "text (reactive or actor)", value);
        if (*text == "reactive")
            manifest.style = ModuleStyle::Reactive;
        else if (*text == "actor")
            manifest.style = ModuleStyle::Actor;
        else
            problem("exports", "must be \"reactive\" or \"actor\", not \"" + *text + "\"");
    }

    void rights(const std::string& key, const AbiValue& value, ModuleNeed& need) {
        const auto* list = value.get<ValueList>();
        if (list == nullptr) return wrong_type(key, "a list of right names", value);
        for (std::size_t i = 0; i < list->size(); ++i) {
            const std::string item_key = key + "[" + std::to_string(i) + "]";
            const std::string* name = text(item_key, (*list)[i], kMaxGrantNameBytes);
            if (name == nullptr) continue;
            if (auto right = kernel_right_from_name(*name)) {
                if (need.rights.contains(*right)) problem(item_key, "\"" + *name + "\" twice");
                need.rights |= *right;
            } else if (std::find(need.custom_rights.begin(), need.custom_rights.end(), *name) !=
                       need.custom_rights.end()) {
                problem(item_key, "\"" + *name + "\" twice");
            } else {
                need.custom_rights.push_back(*name);
            }
        }
    }

    void need(const std::string& grant, const AbiValue& value, ModuleManifest& manifest) {
        const std::string key = "needs." + grant;
        const auto* fields = value.get<ValueMap>();
        if (fields == nullptr) return wrong_type(key, "a map {kind, rights}", value);
        ModuleNeed need;
        need.name = grant;
        bool has_kind = false, has_rights = false;
        for (const auto& [field, field_value] : *fields) {
            const std::string field_key = key + "." + field;
            if (field == "kind" && !has_kind) {
                has_kind = true;
                const std::string* kind = text(field_key, field_value, kMaxGrantNameBytes);
                if (kind == nullptr) continue;
                if (auto type = object_type_from_name(*kind))
                    need.kind = *type;
                else
                    problem(field_key,
                            "unknown kind \"" + *kind + "\"; the kinds are " + kind_names());
            } else if (field == "rights" && !has_rights) {
                has_rights = true;
                rights(field_key, field_value, need);
            } else if (field == "kind" || field == "rights") {
                problem(field_key, "appears twice");
            } else {
                problem(field_key, "unknown key; a need has only kind and rights");
            }
        }
        if (!has_kind) problem(key, "has no kind (keyspace, topic, database, ...)");
        if (!has_rights) problem(key, "has no rights (a list such as [\"read\"])");
        manifest.needs.push_back(std::move(need));
    }

    void needs(const AbiValue& value, ModuleManifest& manifest) {
        const auto* grants = value.get<ValueMap>();
        if (grants == nullptr) return wrong_type("needs", "a map of grant name -> need", value);
        if (grants->size() > kMaxNeeds)
            return problem("needs", "declares " + std::to_string(grants->size()) +
                                        " needs; at most " + std::to_string(kMaxNeeds));
        for (const auto& [grant, need_value] : *grants) {
            if (grant.empty() || grant.size() > kMaxGrantNameBytes) {
                problem("needs", "a grant name must be 1 to " + std::to_string(kMaxGrantNameBytes) +
                                     " bytes");
                continue;
            }
            // A named copy: clang 14 cannot capture a structured binding in a lambda.
            const std::string& name = grant;
            bool duplicate = std::any_of(manifest.needs.begin(), manifest.needs.end(),
                                         [&](const ModuleNeed& n) { return n.name == name; });
            if (duplicate) {
                problem("needs." + grant, "appears twice");
                continue;
            }
            need(grant, need_value, manifest);
        }
        std::sort(manifest.needs.begin(), manifest.needs.end(),
                  [](const ModuleNeed& a, const ModuleNeed& b) { return a.name < b.name; });
    }

  private:
    Diagnostics& m_problems;
    u32 m_count = 0;
};

}  // namespace

std::string_view module_style_name(ModuleStyle style) {
    return style == ModuleStyle::Actor ? "actor" : "reactive";
}

Result<ModuleManifest> decode_module_manifest(ByteSpan payload, Diagnostics& problems) {
    ManifestDecoder decoder(problems);
    if (payload.size() > kMaxManifestBytes) {
        decoder.problem("", "is " + std::to_string(payload.size()) + " bytes; at most " +
                                std::to_string(kMaxManifestBytes));
        return Err(Status::Invalid, "module manifest");
    }
    auto value = abi::decode_value(payload);
    if (!value) {
        std::optional<u64> offset;
        if (value.error().detail.offset != Detail::kUnset) offset = value.error().detail.offset;
        decoder.problem("",
                        std::string("is not one well-formed value (") + value.error().context +
                            "); write it with `estalogic embed MODULE.wasm NEEDS.toml`",
                        offset);
        return Err(Status::Invalid, "module manifest");
    }
    const auto* top = value->get<ValueMap>();
    if (top == nullptr) {
        decoder.wrong_type("", "a map", *value);
        return Err(Status::Invalid, "module manifest");
    }
    ModuleManifest manifest;
    std::vector<std::string_view> seen;
    for (const auto& [key, field] : *top) {
        if (std::find(seen.begin(), seen.end(), key) != seen.end()) {
            decoder.problem(key, "appears twice");
            continue;
        }
        seen.push_back(key);
        if (key == "abi") {
            decoder.abi(field, manifest);
        } else if (key == "name") {
            if (auto* name = decoder.text("name", field, kMaxModuleNameBytes))
                manifest.name = *name;
        } else if (key == "version") {
            if (auto* version = decoder.text("version", field, kMaxModuleVersionBytes))
                manifest.version = *version;
        } else if (key == "needs") {
            decoder.needs(field, manifest);
        } else if (key == "exports") {
            decoder.style(field, manifest);
        } else {
            decoder.problem(key, "unknown key; the keys are " + std::string(kTopKeys));
        }
    }
    for (std::string_view required : {"abi", "name", "version", "exports"})
        if (std::find(seen.begin(), seen.end(), required) == seen.end())
            decoder.problem(required, "is missing");
    if (decoder.failed()) return Err(Status::Invalid, "module manifest");
    return manifest;
}

std::vector<u8> encode_module_manifest(const ModuleManifest& manifest) {
    ValueMap needs;
    for (const ModuleNeed& need : manifest.needs) {
        ValueList rights;
        for (unsigned bit = 0; bit < kFirstCustomRightBit; ++bit) {
            auto right = static_cast<Right>(u64{1} << bit);
            if (need.rights.contains(right) && !right_name(right).empty())
                rights.emplace_back(std::string(right_name(right)));
        }
        for (const std::string& custom : need.custom_rights)
            rights.emplace_back(custom);
        ValueMap fields;
        fields.emplace_back("kind", std::string(object_type_name(need.kind)));
        fields.emplace_back("rights", std::move(rights));
        needs.emplace_back(need.name, std::move(fields));
    }
    ValueMap top;
    top.emplace_back("abi", manifest.abi);
    top.emplace_back("name", manifest.name);
    top.emplace_back("version", manifest.version);
    top.emplace_back("needs", std::move(needs));
    top.emplace_back("exports", std::string(module_style_name(manifest.style)));
    return abi::encode_value(AbiValue(std::move(top)));
}

Result<std::optional<ModuleManifest>> read_module_manifest(ByteSpan module,
                                                           const std::vector<RawSection>& sections,
                                                           Diagnostics& problems) {
    auto found = find_custom_sections(sections, kManifestSectionName);
    if (found.empty()) return std::optional<ModuleManifest>{};
    if (found.size() > 1) {
        Diagnostic diagnostic;
        diagnostic.code = Status::Invalid;
        diagnostic.where = std::string(kManifestSectionName);
        diagnostic.offset = found[1]->start;
        diagnostic.message = "the module has " + std::to_string(found.size()) +
                             " manifest sections; it must have one (`estalogic embed` "
                             "replaces them all with one)";
        problems.push_back(std::move(diagnostic));
        return Err(Status::Invalid, "module manifest");
    }
    return std::optional<ModuleManifest>(
        ESTA_TRY(decode_module_manifest(found[0]->payload(module), problems)));
}

Result<void> check_grants(const ModuleManifest& manifest, std::span<const OfferedGrant> grants,
                          const CustomRights* custom, Diagnostics& problems) {
    const std::size_t before = problems.size();
    auto report = [&](const ModuleNeed& need, std::string message) {
        Diagnostic diagnostic;
        diagnostic.code = Status::AccessDenied;
        diagnostic.where = "needs." + need.name;
        diagnostic.message = std::move(message);
        problems.push_back(std::move(diagnostic));
    };
    for (const ModuleNeed& need : manifest.needs) {
        auto grant = std::find_if(grants.begin(), grants.end(),
                                  [&](const OfferedGrant& g) { return g.name == need.name; });
        if (grant == grants.end()) {
            report(need, "not granted: module \"" + manifest.name + "\" needs \"" + need.name +
                             "\" (kind " + std::string(object_type_name(need.kind)) +
                             "); grant it in the application manifest");
            continue;
        }
        if (grant->kind != need.kind) {
            report(need, "granted as kind " + std::string(object_type_name(grant->kind)) +
                             ", but the module needs kind " +
                             std::string(object_type_name(need.kind)));
            continue;
        }
        std::string missing;
        auto add_missing = [&missing](std::string_view name) {
            if (!missing.empty()) missing += ", ";
            missing += name;
        };
        Rights lacking = grant->rights.missing(need.rights);
        for (unsigned bit = 0; bit < kFirstCustomRightBit; ++bit)
            if (lacking.contains(static_cast<Right>(u64{1} << bit)))
                add_missing(right_name(static_cast<Right>(u64{1} << bit)));
        for (const std::string& name : need.custom_rights) {
            auto bit = custom != nullptr ? custom->find(name)
                                         : Result<Rights>(Err(Status::NotFound, "custom"));
            if (!bit)
                add_missing(name + " (not a right the application defines)");
            else if (!grant->rights.contains(*bit))
                add_missing(name);
        }
        if (!missing.empty())
            report(need, "granted without the rights " + missing + " that the module needs");
    }
    if (problems.size() > before) return Err(Status::AccessDenied, "module needs not granted");
    return Ok();
}

}  // namespace esta::kernel
