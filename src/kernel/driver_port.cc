#include "kernel/driver_port.h"

namespace esta::kernel {

bool is_driver_kind(ObjectType type) {
    switch (type) {
        case ObjectType::Database:
        case ObjectType::KafkaTopic:
        case ObjectType::RedisKeyspace:
        case ObjectType::PgStatement:
            return true;
        default:
            return false;
    }
}

Result<Ref<DriverPort>> DriverPort::create(ObjectId id, ObjectType type, std::string name,
                                           KernelDriver& driver) {
    if (!is_driver_kind(type)) return Err(Status::InvalidArgs, "driver_port.not_a_driver_kind");
    return make_ref<DriverPort>(id, type, std::move(name), driver);
}

DriverPort* DriverPort::from(KernelObject& object) {
    // Several driver kinds share this one class (and tests give those kinds to fakes), so
    // the object type alone cannot say it is a port.
    if (!is_driver_kind(object.type())) return nullptr;
    return dynamic_cast<DriverPort*>(&object);
}

}  // namespace esta::kernel
