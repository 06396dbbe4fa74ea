#pragma once
// Everything a plugin author needs.
#include "ganflow/callback.hpp"
#include "ganflow/data.hpp"
#include "ganflow/error.hpp"
#include "ganflow/item_source.hpp"
#include "ganflow/loss.hpp"
#include "ganflow/metric.hpp"
#include "ganflow/model.hpp"
#include "ganflow/node.hpp"
#include "ganflow/params.hpp"
#include "ganflow/plugin.hpp"
#include "ganflow/stage.hpp"
#include "ganflow/version.hpp"
