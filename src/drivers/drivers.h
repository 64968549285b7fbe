// The door of src/drivers: the driver contract (contract.h, D-1), the guard every driver
// runs behind (guarded_driver.h: breaker, retries, in-flight bound), the three kinds
// (kv_driver.h, sql_driver.h, topic_driver.h) with their stores: embedded/ (D-6), redis/
// (D-5), postgres/ (D-4), kafka/ (D-3), host/ for drivers in their own process (D-2), and
// kernel_bridge/, which puts a driver behind a kernel capability (ABI.md "Driver calls").
#pragma once

#include "base/base.h"
#include "drivers/contract.h"
#include "drivers/guarded_driver.h"
#include "drivers/kernel_bridge/driver_bridge.h"
#include "drivers/kernel_bridge/record_message.h"
#include "drivers/kv_driver.h"
#include "drivers/sql_driver.h"
#include "drivers/topic_driver.h"
