#include "drivers/value.h"

namespace esta::drivers {

Args::Args(const Value& request) : m_request(request) {
    m_list = request.get<ValueList>();
    m_size = m_list != nullptr ? m_list->size() : 1;
}

const Value* Args::at(std::size_t index) const {
    if (m_list == nullptr) return index == 0 ? &m_request : nullptr;
    return index < m_list->size() ? &(*m_list)[index] : nullptr;
}

Result<std::string_view> Args::text(std::size_t index, const char* context) const {
    const Value* value = at(index);
    const std::string* text = value != nullptr ? value->get<std::string>() : nullptr;
    if (text == nullptr) return Err(Status::InvalidArgs, context, Detail{.index = index});
    return std::string_view(*text);
}

Result<std::string_view> Args::bytes(std::size_t index, const char* context) const {
    const Value* value = at(index);
    auto view = value != nullptr ? byte_view(*value) : std::nullopt;
    if (!view) return Err(Status::InvalidArgs, context, Detail{.index = index});
    return *view;
}

Result<i64> Args::integer(std::size_t index, const char* context) const {
    const Value* value = at(index);
    const i64* number = value != nullptr ? value->get<i64>() : nullptr;
    if (number == nullptr) return Err(Status::InvalidArgs, context, Detail{.index = index});
    return *number;
}

Result<const ValueList*> Args::list(std::size_t index, const char* context) const {
    const Value* value = at(index);
    const ValueList* list = value != nullptr ? value->get<ValueList>() : nullptr;
    if (list == nullptr) return Err(Status::InvalidArgs, context, Detail{.index = index});
    return list;
}

Result<const ValueMap*> Args::map(std::size_t index, const char* context) const {
    const Value* value = at(index);
    const ValueMap* map = value != nullptr ? value->get<ValueMap>() : nullptr;
    if (map == nullptr) return Err(Status::InvalidArgs, context, Detail{.index = index});
    return map;
}

Result<std::optional<i64>> Args::optional_integer(std::size_t index, const char* context) const {
    const Value* value = at(index);
    if (value == nullptr || value->is_null()) return std::optional<i64>{};
    const i64* number = value->get<i64>();
    if (number == nullptr) return Err(Status::InvalidArgs, context, Detail{.index = index});
    return std::optional<i64>{*number};
}

std::optional<std::string_view> byte_view(const Value& value) {
    if (const auto* text = value.get<std::string>()) return std::string_view(*text);
    if (const auto* bytes = value.get<ByteString>()) {
        return std::string_view(reinterpret_cast<const char*>(bytes->data()), bytes->size());
    }
    return std::nullopt;
}

Value bytes_value(std::string_view bytes) {
    return Value(ByteString(bytes.begin(), bytes.end()));
}

const Value* map_find(const Value& value, std::string_view key) {
    const ValueMap* map = value.get<ValueMap>();
    if (map == nullptr) return nullptr;
    for (const auto& [name, item] : *map) {
        if (name == key) return &item;
    }
    return nullptr;
}

}  // namespace esta::drivers
