// Rights (REQUIREMENTS K-12): what a handle allows, as a 64-bit set. Bits 0..15 are the
// kernel's rights, bits 16..63 are custom rights that an application names (CustomRights).
// The whole set fits the ABI's `rights_lo: i64`, so a guest names rights with one integer.
// Rights never change on a handle: narrowing makes a new handle (cap_tree.h).
#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "base/types.h"

namespace esta::kernel {

enum class Right : u64 {
    Read = u64{1} << 0,
    Write = u64{1} << 1,
    Delete = u64{1} << 2,
    Execute = u64{1} << 3,
    Create = u64{1} << 4,
    List = u64{1} << 5,
    Delegate = u64{1} << 6,
    Revoke = u64{1} << 7,
    Transfer = u64{1} << 8,
};

// X(Name, "abi_name") in bit order; the ABI table and the docs are generated from it.
#define ESTA_RIGHT_LIST(X)  \
    X(Read, "READ")         \
    X(Write, "WRITE")       \
    X(Delete, "DELETE")     \
    X(Execute, "EXECUTE")   \
    X(Create, "CREATE")     \
    X(List, "LIST")         \
    X(Delegate, "DELEGATE") \
    X(Revoke, "REVOKE")     \
    X(Transfer, "TRANSFER")

inline constexpr unsigned kFirstCustomRightBit = 16;
inline constexpr unsigned kMaxCustomRights = 64 - kFirstCustomRightBit;

class Rights {
  public:
    constexpr Rights() = default;
    constexpr Rights(Right right) : m_bits(static_cast<u64>(right)) {}  // NOLINT: implicit
    static constexpr Rights from_bits(u64 bits) {
        Rights rights;
        rights.m_bits = bits;
        return rights;
    }
    static constexpr Rights none() { return {}; }
    // Every kernel right (not the custom ones): what a root grant of "full" holds.
    static constexpr Rights all_standard();

    constexpr u64 bits() const { return m_bits; }
    constexpr bool empty() const { return m_bits == 0; }
    // True when every right in `required` is held.
    constexpr bool contains(Rights required) const {
        return (m_bits & required.m_bits) == required.m_bits;
    }
    constexpr bool is_subset_of(Rights other) const { return other.contains(*this); }
    // The rights in `required` that this set lacks (for error details).
    constexpr Rights missing(Rights required) const { return from_bits(required.m_bits & ~m_bits); }

    // Hidden friends, so `Right | Rights` and `Rights | Right` work through the conversion.
    friend constexpr Rights operator|(Rights left, Rights right) {
        return from_bits(left.m_bits | right.m_bits);
    }
    friend constexpr Rights operator&(Rights left, Rights right) {
        return from_bits(left.m_bits & right.m_bits);
    }
    constexpr Rights& operator|=(Rights other) {
        m_bits |= other.m_bits;
        return *this;
    }
    constexpr bool operator==(const Rights&) const = default;

  private:
    u64 m_bits = 0;
};

constexpr Rights operator|(Right left, Right right) {
    return Rights(left) | Rights(right);
}

constexpr Rights Rights::all_standard() {
    return Right::Read | Right::Write | Right::Delete | Right::Execute | Right::Create |
           Right::List | Right::Delegate | Right::Revoke | Right::Transfer;
}

// The lower-case name of one kernel right ("read"), or "" for a bit that is not one.
std::string_view right_name(Right right);
// "read|write|custom:approve" for logs, cap_info and test messages.
std::string rights_to_string(Rights rights, const class CustomRights* custom = nullptr);

// The application's named custom rights ("approve", "publish-decision"): each name gets one
// bit from kFirstCustomRightBit up, in registration order, so the same manifest always
// yields the same bits (determinism). One instance per kernel, filled from the manifest.
class CustomRights {
  public:
    // The bit for `name`, registering it if new. LIMIT once 48 names exist; INVALID_ARGS for
    // an empty name or one that collides with a kernel right's name.
    Result<Rights> define(std::string_view name);
    // The bit for a registered name, NOT_FOUND otherwise.
    Result<Rights> find(std::string_view name) const;
    // The name of a single custom bit, if registered.
    std::optional<std::string_view> name_of(Rights single_bit) const;
    std::size_t size() const { return m_names.size(); }

  private:
    std::vector<std::string> m_names;  // m_names[i] owns bit kFirstCustomRightBit + i.
};

// The default rights of every object type live in one table (object_type.h); K-19's
// templates, rights plus restrictions, are in templates.h.

}  // namespace esta::kernel
