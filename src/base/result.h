// Result<T>: a value or an Error, with the subset of std::expected's API we use, so the
// switch to C++23 is one alias. Errors are values; exceptions never cross our interfaces.
#pragma once

#include <type_traits>
#include <utility>
#include <variant>

#include "base/assert.h"
#include "base/error.h"

namespace esta {

template <class T>
class [[nodiscard]] Result {
  public:
    using value_type = T;

    Result(const T& value) : m_state(std::in_place_index<0>, value) {}        // NOLINT: implicit
    Result(T&& value) : m_state(std::in_place_index<0>, std::move(value)) {}  // NOLINT
    Result(Error error) : m_state(std::in_place_index<1>, error) {}           // NOLINT: implicit
    template <class U, class = std::enable_if_t<std::is_constructible_v<T, U&&> &&
                                                !std::is_same_v<std::decay_t<U>, T> &&
                                                !std::is_same_v<std::decay_t<U>, Error> &&
                                                !std::is_same_v<std::decay_t<U>, Result>>>
    Result(U&& value) : m_state(std::in_place_index<0>, std::forward<U>(value)) {}  // NOLINT

    bool has_value() const { return m_state.index() == 0; }
    explicit operator bool() const { return has_value(); }

    T& value() & {
        ESTA_ASSERT(has_value());
        return std::get<0>(m_state);
    }
    const T& value() const& {
        ESTA_ASSERT(has_value());
        return std::get<0>(m_state);
    }
    T&& value() && {
        ESTA_ASSERT(has_value());
        return std::get<0>(std::move(m_state));
    }
    const Error& error() const {
        ESTA_ASSERT(!has_value());
        return std::get<1>(m_state);
    }

    T& operator*() & { return value(); }
    const T& operator*() const& { return value(); }
    T&& operator*() && { return std::move(*this).value(); }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }

    template <class U>
    T value_or(U&& fallback) const& {
        return has_value() ? std::get<0>(m_state) : static_cast<T>(std::forward<U>(fallback));
    }

  private:
    std::variant<T, Error> m_state;
};

template <>
class [[nodiscard]] Result<void> {
  public:
    using value_type = void;

    Result() = default;
    Result(Error error) : m_error(error), m_failed(true) {}  // NOLINT: implicit

    bool has_value() const { return !m_failed; }
    explicit operator bool() const { return has_value(); }
    void value() const { ESTA_ASSERT(has_value()); }
    const Error& error() const {
        ESTA_ASSERT(m_failed);
        return m_error;
    }

  private:
    Error m_error{};
    bool m_failed = false;
};

inline Result<void> Ok() {
    return {};
}

namespace detail {
template <class T>
T&& unwrap_for_try(Result<T>&& result) {
    return std::move(result).value();
}
inline void unwrap_for_try(Result<void>&&) {}
}  // namespace detail

}  // namespace esta

// Evaluates a Result expression; on error returns the error from the enclosing function,
// otherwise yields the value. A GNU statement expression (g++ and clang accept it).
#define ESTA_TRY(expression)                                         \
    ({                                                               \
        auto esta_try_result_ = (expression);                        \
        if (!esta_try_result_) return esta_try_result_.error();      \
        ::esta::detail::unwrap_for_try(std::move(esta_try_result_)); \
    })
