// StrongId<Tag, Rep>: an index or id with its own type, so a FuncIndex cannot be passed
// where a TypeIndex is wanted. Explicit construction, explicit value(), full ordering.
#pragma once

#include <compare>
#include <cstdint>
#include <functional>

namespace esta {

template <class Tag, class Rep = std::uint32_t>
class StrongId {
  public:
    using rep_type = Rep;

    constexpr StrongId() = default;
    constexpr explicit StrongId(Rep value) : m_value(value) {}

    constexpr Rep value() const { return m_value; }
    constexpr auto operator<=>(const StrongId&) const = default;

  private:
    Rep m_value{};
};

}  // namespace esta

template <class Tag, class Rep>
struct std::hash<esta::StrongId<Tag, Rep>> {
    std::size_t operator()(const esta::StrongId<Tag, Rep>& id) const noexcept {
        return std::hash<Rep>{}(id.value());
    }
};
