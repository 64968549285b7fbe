#include "kernel/rights.h"

#include <bit>

namespace esta::kernel {

std::string_view right_name(Right right) {
    switch (right) {
        case Right::Read:
            return "read";
        case Right::Write:
            return "write";
        case Right::Delete:
            return "delete";
        case Right::Execute:
            return "execute";
        case Right::Create:
            return "create";
        case Right::List:
            return "list";
        case Right::Delegate:
            return "delegate";
        case Right::Revoke:
            return "revoke";
        case Right::Transfer:
            return "transfer";
    }
    return "";
}

std::string rights_to_string(Rights rights, const CustomRights* custom) {
    std::string text;
    u64 bits = rights.bits();
    while (bits != 0) {
        u64 bit = bits & (~bits + 1);  // Lowest set bit first, so the order is stable.
        bits &= bits - 1;
        if (!text.empty()) text += '|';
        std::string_view name = right_name(static_cast<Right>(bit));
        if (!name.empty()) {
            text += name;
            continue;
        }
        auto custom_name = custom ? custom->name_of(Rights::from_bits(bit)) : std::nullopt;
        if (custom_name) {
            text += "custom:";
            text += *custom_name;
        } else {
            text += "bit" + std::to_string(std::countr_zero(bit));
        }
    }
    return text.empty() ? "none" : text;
}

Result<Rights> CustomRights::define(std::string_view name) {
    if (name.empty()) return Err(Status::InvalidArgs, "custom_rights.define: empty name");
    for (unsigned bit = 0; bit < kFirstCustomRightBit; ++bit) {
        if (right_name(static_cast<Right>(u64{1} << bit)) == name) {
            return Err(Status::InvalidArgs, "custom_rights.define: name of a kernel right");
        }
    }
    if (auto existing = find(name)) return existing;
    if (m_names.size() >= kMaxCustomRights) {
        return Err(Status::Limit, "custom_rights.define",
                   Detail{.limit = kMaxCustomRights, .actual = m_names.size() + 1});
    }
    m_names.emplace_back(name);
    return Rights::from_bits(u64{1} << (kFirstCustomRightBit + m_names.size() - 1));
}

Result<Rights> CustomRights::find(std::string_view name) const {
    for (std::size_t i = 0; i < m_names.size(); ++i) {
        if (m_names[i] == name) return Rights::from_bits(u64{1} << (kFirstCustomRightBit + i));
    }
    return Err(Status::NotFound, "custom_rights.find");
}

std::optional<std::string_view> CustomRights::name_of(Rights single_bit) const {
    if (std::popcount(single_bit.bits()) != 1) return std::nullopt;
    unsigned bit = static_cast<unsigned>(std::countr_zero(single_bit.bits()));
    if (bit < kFirstCustomRightBit) return std::nullopt;
    std::size_t index = bit - kFirstCustomRightBit;
    if (index >= m_names.size()) return std::nullopt;
    return m_names[index];
}

}  // namespace esta::kernel
