// The door of src/drivers: the driver contract and its Kafka, PostgreSQL and Redis drivers.
// (Grows with the drivers issue.)
#pragma once

#include "base/base.h"
