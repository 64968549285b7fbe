#include "kernel/cap_encoding.h"

#include <limits>

namespace esta::kernel {

namespace {

using abi::AbiValue;
using abi::Timestamp;
using abi::ValueList;
using abi::ValueMap;

Error bad(const char* context) {
    return Err(Status::InvalidArgs, context);
}

Result<Nanos> timestamp(const AbiValue& value, const char* context) {
    if (const Timestamp* time = value.get<Timestamp>()) return time->ns;
    return bad(context);
}

Result<i64> integer(const AbiValue& value, const char* context) {
    if (const i64* number = value.get<i64>()) return *number;
    return bad(context);
}

Result<std::vector<ProcessId>> processes(const AbiValue& value, const char* context) {
    const ValueList* items = value.get<ValueList>();
    if (!items) return bad(context);
    std::vector<ProcessId> result;
    result.reserve(items->size());
    for (const AbiValue& item : *items) {
        i64 id = ESTA_TRY(integer(item, context));
        if (id < 0 || id > std::numeric_limits<u32>::max()) return bad(context);
        result.emplace_back(static_cast<u32>(id));
    }
    return result;
}

ValueList process_list(const std::vector<ProcessId>& ids) {
    ValueList items;
    for (ProcessId id : ids)
        items.emplace_back(static_cast<i64>(id.value()));
    return items;
}

}  // namespace

Result<Restrictions> decode_restrictions(ByteSpan bytes) {
    if (bytes.empty()) return Restrictions{};
    AbiValue root = ESTA_TRY(abi::decode_value(bytes));
    const ValueMap* entries = root.get<ValueMap>();
    if (!entries) return bad("restrictions: not a map");
    return decode_restriction_map(*entries);
}

Result<Restrictions> decode_restriction_map(const ValueMap& entries) {
    Restrictions restrictions;
    for (const auto& [key, value] : entries) {
        if (key == "expires_at") {
            restrictions.expires_at = ESTA_TRY(timestamp(value, "restrictions: expires_at"));
        } else if (key == "max_uses") {
            i64 uses = ESTA_TRY(integer(value, "restrictions: max_uses"));
            if (uses <= 0) return bad("restrictions: max_uses must be positive");
            restrictions.max_uses = static_cast<u64>(uses);
        } else if (key == "valid_after") {
            restrictions.valid_after = ESTA_TRY(timestamp(value, "restrictions: valid_after"));
        } else if (key == "valid_before") {
            restrictions.valid_before = ESTA_TRY(timestamp(value, "restrictions: valid_before"));
        } else if (key == "hours") {
            i64 mask = ESTA_TRY(integer(value, "restrictions: hours"));
            if (mask < 0 || mask > 0xFFFFFF) return bad("restrictions: hours mask");
            restrictions.hours = ESTA_TRY(HoursOfDay::from_mask(static_cast<u32>(mask)));
        } else if (key == "days") {
            i64 mask = ESTA_TRY(integer(value, "restrictions: days"));
            if (mask < 0 || mask > 0x7F) return bad("restrictions: days mask");
            restrictions.days = ESTA_TRY(DaysOfWeek::from_mask(static_cast<u8>(mask)));
        } else if (key == "zone") {
            const std::string* name = value.get<std::string>();
            if (!name) return bad("restrictions: zone");
            restrictions.zone = ESTA_TRY(TimeZone::parse(*name));
        } else if (key == "allowed_processes") {
            restrictions.allowed_processes =
                ESTA_TRY(processes(value, "restrictions: allowed_processes"));
        } else if (key == "denied_processes") {
            restrictions.denied_processes =
                ESTA_TRY(processes(value, "restrictions: denied_processes"));
        } else {
            return bad("restrictions: unknown key");
        }
    }
    return restrictions;
}

AbiValue encode_restrictions(const Restrictions& restrictions) {
    ValueMap entries;
    if (restrictions.expires_at)
        entries.emplace_back("expires_at", Timestamp{*restrictions.expires_at});
    if (restrictions.max_uses) {
        entries.emplace_back("max_uses", static_cast<i64>(*restrictions.max_uses));
    }
    if (restrictions.valid_after) {
        entries.emplace_back("valid_after", Timestamp{*restrictions.valid_after});
    }
    if (restrictions.valid_before) {
        entries.emplace_back("valid_before", Timestamp{*restrictions.valid_before});
    }
    if (restrictions.hours) entries.emplace_back("hours", i64{restrictions.hours->mask()});
    if (restrictions.days) entries.emplace_back("days", i64{restrictions.days->mask()});
    if (restrictions.hours || restrictions.days) {
        entries.emplace_back("zone", restrictions.zone.name());
    }
    if (restrictions.allowed_processes) {
        entries.emplace_back("allowed_processes", process_list(*restrictions.allowed_processes));
    }
    if (!restrictions.denied_processes.empty()) {
        entries.emplace_back("denied_processes", process_list(restrictions.denied_processes));
    }
    return AbiValue(std::move(entries));
}

AbiValue describe_capability(const Handle& handle) {
    const CapNode& node = handle.node();
    ValueMap record;
    record.emplace_back("kind", static_cast<i64>(node.type()));
    record.emplace_back("kind_name", std::string(object_type_name(node.type())));
    record.emplace_back("resource", handle.object() ? handle.object()->resource().name : "");
    record.emplace_back("rights", static_cast<i64>(node.rights().bits()));
    record.emplace_back("depth", static_cast<i64>(node.depth()));
    record.emplace_back("revoked", !node.check_not_revoked().has_value());
    if (auto remaining = node.uses_remaining()) {
        record.emplace_back("uses_remaining", static_cast<i64>(*remaining));
    }
    ValueList chain;
    for (const CapNode* link = &node; link; link = link->parent()) {
        chain.push_back(link->restrictions() ? encode_restrictions(*link->restrictions())
                                             : AbiValue(ValueMap{}));
    }
    record.emplace_back("restrictions", std::move(chain));
    return AbiValue(std::move(record));
}

}  // namespace esta::kernel
