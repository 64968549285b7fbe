// [processes.NAME.grants.GRANT]: one capability a process starts with. Exactly one of kv,
// sql, topic, endpoint, audit or sink says what it reaches; rights and K-13 restrictions
// narrow it.
#include <chrono>
#include <cstdint>

#include "app/manifest/sections.h"
#include "app/manifest/suggest.h"

namespace esta::app::manifest {

namespace {

using kernel::Right;
using kernel::Rights;

constexpr std::string_view kResourceKeys[] = {"kv", "sql", "topic", "endpoint", "audit", "sink"};
constexpr std::size_t kMaxPrefix = 256;
constexpr i64 kMaxUses = i64{1} << 40;

constexpr Choice<drivers::KvFamily> kFamilies[] = {{"strings", drivers::KvFamily::Strings},
                                                   {"counters", drivers::KvFamily::Counters},
                                                   {"hashes", drivers::KvFamily::Hashes},
                                                   {"keys", drivers::KvFamily::Keys},
                                                   {"scripts", drivers::KvFamily::Scripts}};

constexpr Choice<Right> kRights[] = {
    {"read", Right::Read},         {"write", Right::Write},   {"delete", Right::Delete},
    {"execute", Right::Execute},   {"create", Right::Create}, {"list", Right::List},
    {"delegate", Right::Delegate}, {"revoke", Right::Revoke}, {"transfer", Right::Transfer}};

constexpr std::string_view kDayNames[] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};

// The rights a grant of this kind gets when `rights` is absent.
Rights default_rights(const GrantResource& resource) {
    if (const auto* topic = std::get_if<TopicGrant>(&resource)) {
        Rights rights;
        if (topic->scope.produce) rights |= Right::Write;
        if (topic->scope.consume) rights |= Right::Read;
        return rights;
    }
    if (std::holds_alternative<KvGrant>(resource)) {
        return Right::Read | Right::Write | Right::Create | Right::List | Right::Delete;
    }
    if (std::holds_alternative<SqlGrant>(resource)) {
        return Right::Read | Right::Write | Right::Execute;
    }
    return Rights(Right::Write);  // An endpoint or a sink sends; the audit log appends.
}

std::optional<Nanos> instant(TableReader& grant, std::string_view key) {
    const auto* node = grant.node(key);
    if (!node) return std::nullopt;
    const auto* value = node->as_date_time();
    if (!value || !value->get().offset) {
        grant.error(key, std::string("expected a date-time with an offset, found ") +
                             std::string(type_phrase(node->type())) +
                             "; allowed: e.g. 2026-12-31T23:59:59Z (times are the kernel's clock)");
        return std::nullopt;
    }
    const toml::date_time& when = value->get();
    auto days = std::chrono::sys_days(std::chrono::year(when.date.year) /
                                      std::chrono::month(when.date.month) /
                                      std::chrono::day(when.date.day));
    i64 seconds = static_cast<i64>(days.time_since_epoch().count()) * 86'400 +
                  i64{when.time.hour} * 3'600 + i64{when.time.minute} * 60 + when.time.second -
                  i64{when.offset->minutes} * 60;
    // toml++ checks each field's range (years 0..9999 fit in seconds); nanoseconds since
    // 1970 in 64 bits reach only 1677-09-22 .. 2262-04-11.
    constexpr i64 kMaxSeconds = INT64_MAX / 1'000'000'000 - 1;
    if (seconds < -kMaxSeconds || seconds > kMaxSeconds) {
        grant.error(key, "is outside the kernel clock's range; allowed: 1677-09-23 to 2262-04-10");
        return std::nullopt;
    }
    return seconds * 1'000'000'000 + static_cast<i64>(when.time.nanosecond);
}

void parse_rights(TableReader& grant, GrantSpec& result) {
    const auto* node = grant.node("rights");
    result.rights.rights = default_rights(result.resource);
    if (!node) return;
    if (const auto* name = node->as_string()) {
        const std::string& text = name->get();
        if (text == "read-only") {
            result.rights.rights = kernel::read_only_template().rights;
        } else if (text == "read-write") {
            result.rights.rights = kernel::read_write_template().rights;
        } else if (text == "full") {
            result.rights.rights = kernel::full_template().rights;
        } else if (text == "execute-only") {
            result.rights.rights = Right::Execute;
            if (!grant.has("max_uses")) {
                grant.error("rights",
                            "\"execute-only\" needs max_uses (K-19): how many uses "
                            "the grant allows in total");
            }
        } else {
            grant.report_not_allowed("rights", text, "a rights template",
                                     {"read-only", "read-write", "full", "execute-only",
                                      "or a list such as [\"read\", \"write\"]"});
        }
        return;
    }
    auto names = grant.strings("rights");
    if (!names) return;
    Rights rights;
    for (const auto& name : *names) {
        bool found = false;
        for (const auto& choice : kRights) {
            if (choice.name == name) {
                rights |= choice.value;
                found = true;
            }
        }
        if (!found) {
            std::vector<std::string> allowed;
            for (const auto& choice : kRights)
                allowed.emplace_back(choice.name);
            grant.report_not_allowed("rights", name, "a right", allowed);
        }
    }
    if (names->empty()) grant.error("rights", "is empty; a grant without rights is useless");
    result.rights.rights = rights;
}

void parse_restrictions(ParseContext& context, TableReader& grant, GrantSpec& result) {
    auto& restrictions = result.rights.restrictions;
    restrictions.zone = context.manifest.time_zone;
    if (auto uses = grant.integer("max_uses", 1, kMaxUses))
        restrictions.max_uses = static_cast<u64>(*uses);
    restrictions.expires_at = instant(grant, "expires_at");
    restrictions.valid_after = instant(grant, "valid_after");
    restrictions.valid_before = instant(grant, "valid_before");
    if (restrictions.valid_after && restrictions.valid_before &&
        *restrictions.valid_after > *restrictions.valid_before) {
        grant.error("valid_before", "is before valid_after; the window would never open");
    }
    if (const auto* hours = grant.array("hours")) {
        const auto* start = hours->size() == 2 ? hours->get(0)->as_integer() : nullptr;
        const auto* end = hours->size() == 2 ? hours->get(1)->as_integer() : nullptr;
        auto window = start && end && start->get() >= 0 && start->get() <= 24 && end->get() >= 0 &&
                              end->get() <= 24
                          ? kernel::HoursOfDay::between(static_cast<u32>(start->get()),
                                                        static_cast<u32>(end->get()))
                          : Result<kernel::HoursOfDay>(Err(Status::InvalidArgs, "hours"));
        if (window) {
            restrictions.hours = *window;
        } else {
            grant.error("hours",
                        "expected [START, END] in whole hours 0 to 24 with START != "
                        "END (e.g. [8, 18] for 08:00 to 17:59; [22, 6] wraps midnight)");
        }
    }
    if (auto days = grant.strings("days")) {
        u8 mask = 0;
        for (const auto& day : *days) {
            bool found = false;
            for (std::size_t i = 0; i < 7; ++i) {
                if (kDayNames[i] == day) {
                    mask |= static_cast<u8>(1u << i);
                    found = true;
                }
            }
            if (!found) {
                grant.report_not_allowed("days", day, "a day",
                                         {"sun", "mon", "tue", "wed", "thu", "fri", "sat"});
            }
        }
        auto window = kernel::DaysOfWeek::from_mask(mask);
        if (window && mask != 0) {
            restrictions.days = *window;
        } else if (days->empty()) {
            grant.error("days", "is empty; the grant could never be used");
        }
    }
    if (auto zone = grant.string("time_zone")) {
        auto parsed = kernel::TimeZone::parse(*zone);
        if (parsed) {
            restrictions.zone = *parsed;
        } else {
            grant.error("time_zone", in_quotes(*zone) +
                                         " is not a supported time zone; allowed: "
                                         "UTC, Z, or a fixed offset such as -05:00");
        }
    }
}

void parse_kv(ParseContext& context, TableReader& grant, const std::string& prefix,
              GrantSpec& result) {
    KvGrant kv;
    if (prefix.empty() || prefix.size() > kMaxPrefix) {
        grant.error("kv", "expected a key prefix of 1 to 256 characters, e.g. \"esta/accrual/\"");
    }
    kv.scope.prefix = prefix;
    if (auto families = grant.strings("families")) {
        kv.scope.families = 0;
        for (const auto& family : *families) {
            bool found = false;
            for (const auto& choice : kFamilies) {
                if (choice.name == family) {
                    kv.scope.families |= static_cast<u32>(choice.value);
                    found = true;
                }
            }
            if (!found) {
                grant.report_not_allowed("families", family, "a command family",
                                         {"strings", "counters", "hashes", "keys", "scripts"});
            }
        }
    } else {
        kv.scope.families = drivers::KvFamily::Strings | drivers::KvFamily::Counters |
                            drivers::KvFamily::Hashes | drivers::KvFamily::Keys;
    }
    // Registered scripts ([scripts.NAME]) the handle may run; listing them allows EVAL.
    if (auto scripts = grant.strings("scripts")) {
        for (const auto& name : *scripts) {
            context.refer(ReferenceKind::Script, name, grant.child_path("scripts"),
                          grant.position("scripts"));
        }
        if (!grant.has("families")) {
            kv.scope.families = kv.scope.families | drivers::KvFamily::Scripts;
        } else if ((kv.scope.families & static_cast<u32>(drivers::KvFamily::Scripts)) == 0 &&
                   !scripts->empty()) {
            grant.error("scripts", "lists scripts, but families leaves out \"scripts\"; add it");
        }
        kv.scope.scripts = *scripts;
    }
    result.resource = std::move(kv);
}

void parse_topic(ParseContext& context, TableReader& grant, const std::string& topic,
                 const ProcessSpec& process, GrantSpec& result) {
    TopicGrant grant_topic;
    grant_topic.scope.topic = topic;
    context.refer(ReferenceKind::Topic, topic, grant.child_path("topic"), grant.position("topic"));
    grant_topic.scope.produce = grant.boolean("produce").value_or(false);
    grant_topic.scope.consume = grant.boolean("consume").value_or(false);
    grant_topic.scope.group = process.name;
    if (auto group = grant.string("group")) {
        if (check_name(context, *group, grant.child_path("group"), grant.position("group")))
            grant_topic.scope.group = *group;
    }
    if (!grant_topic.scope.produce && !grant_topic.scope.consume) {
        grant.error("topic",
                    "the grant neither produces nor consumes; set produce = true, "
                    "consume = true, or both");
    }
    result.resource = std::move(grant_topic);
}

}  // namespace

void parse_grant(ParseContext& context, TableReader& grant, ProcessSpec& process,
                 GrantSpec& result) {
    std::vector<std::string> present;
    for (auto key : kResourceKeys)
        if (grant.has(key)) present.emplace_back(key);
    if (present.size() != 1) {
        grant.reporter().error(grant.position(), grant.key_path(),
                               present.empty()
                                   ? "says nothing to reach; allowed: exactly one of kv, sql, "
                                     "topic, endpoint, audit, sink"
                                   : "names " + join_names(present) +
                                         "; allowed: exactly one of kv, sql, topic, endpoint, "
                                         "audit, sink (make one grant each)");
    }
    std::string kind = present.empty() ? "" : present.front();
    if (kind == "kv") {
        if (auto prefix = grant.string("kv")) parse_kv(context, grant, *prefix, result);
    } else if (kind == "sql") {
        if (auto statements = grant.strings("sql")) {
            SqlGrant sql;
            for (const auto& name : *statements) {
                context.refer(ReferenceKind::Statement, name, grant.child_path("sql"),
                              grant.position("sql"));
            }
            if (statements->empty()) grant.error("sql", "names no statement; list them by name");
            sql.scope.statements = *statements;
            result.resource = std::move(sql);
        }
    } else if (kind == "topic") {
        if (auto topic = grant.string("topic"))
            parse_topic(context, grant, *topic, process, result);
    } else if (kind == "endpoint") {
        if (auto target = grant.string("endpoint")) {
            context.refer(ReferenceKind::Process, *target, grant.child_path("endpoint"),
                          grant.position("endpoint"));
            result.resource = EndpointGrant{*target};
        }
    } else if (kind == "audit") {
        if (auto audit = grant.boolean("audit")) {
            if (!*audit) grant.error("audit", "false grants nothing; remove the grant instead");
            result.resource = AuditGrant{};
        }
    } else if (kind == "sink") {
        if (auto sink = grant.string("sink")) {
            if (check_name(context, *sink, grant.child_path("sink"), grant.position("sink")))
                result.resource = SinkGrant{*sink};
        }
    }
    // Options of another kind of grant are refused (and declared known, so each mistake is
    // reported once, as what it is).
    for (auto key : kResourceKeys)
        (void)grant.node(key);
    struct KindOption {
        std::string_view key;
        std::string_view kind;
    };
    constexpr KindOption kKindOptions[] = {{"families", "kv"},
                                           {"scripts", "kv"},
                                           {"produce", "topic"},
                                           {"consume", "topic"},
                                           {"group", "topic"}};
    for (const auto& option : kKindOptions) {
        (void)grant.node(option.key);
        if (grant.has(option.key) && !kind.empty() && kind != option.kind) {
            grant.error(option.key, "applies only to " + std::string(option.kind) +
                                        " grants, not to " + kind + " grants");
        }
    }
    parse_rights(grant, result);
    parse_restrictions(context, grant, result);
    grant.finish();
}

std::string_view grant_kind_name(const GrantResource& resource) {
    constexpr std::string_view kNames[] = {"kv", "sql", "topic", "endpoint", "audit", "sink"};
    return kNames[resource.index()];
}

}  // namespace esta::app::manifest
