#ifndef PROVIDER_AGENTS_CRDKAFKA_SHIM_H
#define PROVIDER_AGENTS_CRDKAFKA_SHIM_H
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#endif
