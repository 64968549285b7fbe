// The kinds of resource a handle can name (REQUIREMENTS K-11) and, in the same table, the
// rights a root grant of each kind holds unless the application asks for fewer. Keeping both
// in one list means a new kind cannot be added without deciding its default rights.
#pragma once

#include <string_view>

#include "base/types.h"
#include "kernel/rights.h"

namespace esta::kernel {

// X(Name, code, "abi_name", default rights, "what it names"). `code` is what cap_info reports
// as the kind; it is part of ABI v1 and never renumbered.
// Why these defaults: nothing can delete the audit log (append-only by design); a module
// can be executed and read but not written; a process handle's Delete is "kill".
#define ESTA_OBJECT_TYPE_LIST(X)                                                                   \
    X(Memory, 1, "memory",                                                                         \
      Right::Read | Right::Write | Right::Delegate | Right::Revoke | Right::Transfer,              \
      "a shared memory region")                                                                    \
    X(Endpoint, 2, "endpoint", Right::Write | Right::Delegate | Right::Revoke | Right::Transfer,   \
      "a process's mailbox as senders see it (a channel)")                                         \
    X(File, 3, "file",                                                                             \
      Right::Read | Right::Write | Right::Create | Right::Delete | Right::List | Right::Delegate | \
          Right::Revoke | Right::Transfer,                                                         \
      "a file or directory")                                                                       \
    X(Database, 4, "database",                                                                     \
      Right::Read | Right::Write | Right::Create | Right::Delete | Right::List | Right::Delegate | \
          Right::Revoke | Right::Transfer,                                                         \
      "a database (SQLite or PostgreSQL) as a whole")                                              \
    X(KafkaTopic, 5, "topic",                                                                      \
      Right::Read | Right::Write | Right::Delegate | Right::Revoke | Right::Transfer,              \
      "a Kafka (or embedded) topic")                                                               \
    X(RedisKeyspace, 6, "keyspace",                                                                \
      Right::Read | Right::Write | Right::Create | Right::Delete | Right::List | Right::Delegate | \
          Right::Revoke | Right::Transfer,                                                         \
      "a key prefix in Redis or the embedded key-value store")                                     \
    X(PgStatement, 7, "statement",                                                                 \
      Right::Execute | Right::Read | Right::Delegate | Right::Revoke | Right::Transfer,            \
      "a PostgreSQL (or SQLite) table or named statement")                                         \
    X(Module, 8, "module", Right::Execute | Right::Read | Right::Delegate | Right::Transfer,       \
      "a validated wasm module")                                                                   \
    X(Process, 9, "process",                                                                       \
      Right::Read | Right::Write | Right::Delete | Right::Delegate | Right::Revoke |               \
          Right::Transfer,                                                                         \
      "a running process (Delete = kill)")                                                         \
    X(AuditLog, 10, "audit_log", Right::Write | Right::Read | Right::Delegate | Right::Transfer,   \
      "the integrity-chained audit log")                                                           \
    X(Config, 11, "config", Right::Read | Right::List | Right::Delegate | Right::Transfer,         \
      "a configuration subtree")                                                                   \
    X(Timer, 12, "timer",                                                                          \
      Right::Read | Right::Write | Right::Delete | Right::Delegate | Right::Transfer,              \
      "a kernel timer")                                                                            \
    X(Network, 13, "network", Right::Read | Right::Write | Right::Delegate | Right::Transfer,      \
      "a network address or listener")                                                             \
    X(Custom, 14, "custom", Rights::all_standard(), "an application-defined kind, by name")

enum class ObjectType : u8 {
#define ESTA_OBJECT_TYPE_ENUM(name, code, abi_name, rights, text) name = code,
    ESTA_OBJECT_TYPE_LIST(ESTA_OBJECT_TYPE_ENUM)
#undef ESTA_OBJECT_TYPE_ENUM
};

// "topic", "endpoint", ...: the kind's name in the ABI and in cap_info.
std::string_view object_type_name(ObjectType type);
std::string_view object_type_description(ObjectType type);

// The one table of default rights per object type.
constexpr Rights default_rights(ObjectType type) {
    switch (type) {
#define ESTA_OBJECT_TYPE_RIGHTS(name, code, abi_name, rights, text) \
    case ObjectType::name:                                          \
        return rights;
        ESTA_OBJECT_TYPE_LIST(ESTA_OBJECT_TYPE_RIGHTS)
#undef ESTA_OBJECT_TYPE_RIGHTS
    }
    return Rights::none();
}

}  // namespace esta::kernel
