#include "kernel/object.h"

#include "base/assert.h"

namespace esta::kernel {

std::string_view object_type_name(ObjectType type) {
    switch (type) {
#define ESTA_OBJECT_TYPE_NAME(name, code, abi_name, rights, text) \
    case ObjectType::name:                                        \
        return abi_name;
        ESTA_OBJECT_TYPE_LIST(ESTA_OBJECT_TYPE_NAME)
#undef ESTA_OBJECT_TYPE_NAME
    }
    return "unknown";
}

std::string_view object_type_description(ObjectType type) {
    switch (type) {
#define ESTA_OBJECT_TYPE_TEXT(name, code, abi_name, rights, text) \
    case ObjectType::name:                                        \
        return text;
        ESTA_OBJECT_TYPE_LIST(ESTA_OBJECT_TYPE_TEXT)
#undef ESTA_OBJECT_TYPE_TEXT
    }
    return "";
}

std::string Resource::to_string() const {
    std::string text(object_type_name(type));
    if (type == ObjectType::Custom) text += "(" + custom_kind + ")";
    text += ":";
    text += name;
    return text;
}

void KernelObject::detach_handle() {
    ESTA_ASSERT(m_handle_count > 0);
    if (--m_handle_count == 0 && !m_zero_handles_ran) {
        m_zero_handles_ran = true;
        on_zero_handles();
    }
}

}  // namespace esta::kernel
