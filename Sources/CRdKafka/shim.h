/* librdkafka's C API as the CRdKafka module: imported (internally) by the Kafka module only. */
#ifndef PROVIDER_AGENTS_CRDKAFKA_SHIM_H
#define PROVIDER_AGENTS_CRDKAFKA_SHIM_H
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#endif
