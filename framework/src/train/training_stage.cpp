#include "ganflow/framework/train/training_stage.hpp"

#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>

#include "ganflow/critic_augment.hpp"
#include "ganflow/image_grid.hpp"
#include "ganflow/item_seed.hpp"
#include "ganflow/layers/batch_norm.hpp"
#include "ganflow/layers/fast_conv.hpp"
#include "ganflow/framework/data/loader_data_source.hpp"
#include "ganflow/framework/dist/dist_group.hpp"
#include "ganflow/framework/dist/gradient_reducer.hpp"
#include "ganflow/framework/report/histogram.hpp"
#include "ganflow/framework/report/reporter.hpp"
#include "ganflow/framework/session/run_context.hpp"
#include "ganflow/framework/train/autocast_scope.hpp"
#include "ganflow/framework/train/cuda_graph_steps.hpp"
#include "ganflow/framework/train/gpu_memory.hpp"

namespace fs = std::filesystem;

namespace ganflow {

Fields<FitSettings> fit_fields(NodeSpec& spec, double lr, const std::string& schedule, const OptimizerSettings& opt) {
  using S = FitSettings;
  Fields<S> f(spec);
  Fields<ScheduleSettings> sched(spec);
  f.add("epochs", &S::epochs, 1, "Epochs to train.").at_least(1);
  sched.add("lr", &ScheduleSettings::lr, lr, "Learning rate (the peak under one_cycle).").range(0, 10);
  sched.add_enum("schedule", &ScheduleSettings::kind, {"constant", "one_cycle"}, schedule,
                 "fastai fit (constant) or fit_one_cycle.");
  sched.add("pct_start", &ScheduleSettings::pct_start, 0.3, "one_cycle: fraction of steps spent warming up.").range(0, 1);
  f.nest(&S::schedule, sched);
  f.add("max_batches", &S::max_batches, 0, "Stop each epoch after this many batches (0: the whole epoch).").at_least(0);
  f.add("beta", &S::beta, 0.98, "Smoothing of the reported losses (debiased EMA).").range(0, 0.9999);
  f.add("log_every", &S::log_every, 50, "Write a step record to metrics.jsonl (and check for NaN) every this many steps.")
      .at_least(1);
  f.add("checkpoint_every", &S::checkpoint_every, 500, "Also checkpoint every this many steps (0: at epoch ends only).")
      .at_least(0);
  f.add("tensorboard", &S::tensorboard, false,
        "Also write the step and epoch values as TensorBoard scalars (tags <stage>/<value> and "
        "<stage>/epoch/<value>), each sample grid as an image (<stage>/samples) and at each epoch end a histogram "
        "of every trained parameter (<stage>/<generator|critic|model>/<parameter>), to an events.out.tfevents.* "
        "file in the run folder.");
  f.add("sync_bn", &S::sync_bn, false,
        "Data-parallel runs: the shared layers' BatchNorm (basic_generator, basic_critic, ...) normalises training "
        "batches with the statistics of every rank's batch (BigGAN's sync BN); false: each rank's own, as DDP.");
  f.add("bucket_cap_mb", &S::bucket_cap_mb, 4.0,
        "Data-parallel runs: gradients are summed across ranks in buckets of up to this many MiB, each started as "
        "soon as backward has produced its gradients, while backward goes on (PyTorch DDP's bucket_cap_mb).")
      .range(0.001, 1024);
  f.add("cuda_graphs", &S::cuda_graphs, false,
        "CUDA devices: capture each step's forward, loss and backward as a CUDA graph (one per batch shape and "
        "mode, after " + std::to_string(CudaGraphSteps::kWarmupSteps) + " eager steps of each) and replay it: one launch instead of hundreds, for small networks "
        "whose step the host's kernel launches limit. GAN stages, fp32 or bf16, one process, no augmentation; "
        "ignored (logged) on the CPU.");
  f.nest(&S::opt, optimizer_fields(spec, opt));
  f.nest(&S::precision, precision_fields(spec));
  return f;
}

TrainingStage::TrainingStage(FitSettings s, std::shared_ptr<DataSource> data,
                             std::vector<std::shared_ptr<Callback>> callbacks)
    : s_(std::move(s)), data_(std::move(data)), callbacks_(std::move(callbacks)), smooth_(s_.beta) {
  std::stable_sort(callbacks_.begin(), callbacks_.end(), [](auto& a, auto& b) { return a->order() < b->order(); });
}

TrainingStage::~TrainingStage() = default;

void TrainingStage::run(RunContext& ctx) {
  ctx_ = &ctx;
  auto* host = dynamic_cast<HostRunContext*>(&ctx);
  dist_ = host ? host->dist() : nullptr;
  device_ = ctx.device();
  std::string precision = s_.precision.precision;
  if (precision == "auto") {
    const PrecisionChoice c = choose_precision(device_);
    ctx.log(name() + ": precision auto -> " + c.precision + " on " + device_.str() + " (" + c.reason + ")");
    precision = c.precision;
  }
  autocast_ = autocast_dtype_for(precision, device_, name());
  const LayoutChoice layout = choose_layout(s_.precision.channels_last, device_, autocast_,
                                             layers::conv_isa() == layers::ConvIsa::avx512);
  channels_last_ = layout.channels_last;
  if (s_.precision.channels_last == "auto")
    ctx.log(name() + ": channels_last auto -> " + (channels_last_ ? "true" : "false") + " on " + device_.str() +
            " (" + layout.reason + ")");
  scaler_ = LossScaler(s_.precision.precision == "fp16");
  prepare(device_);
  graphs_.reset();
  if (s_.cuda_graphs) start_graphs(precision);
  const std::vector<Optim*> scheduled = optimizers();  // once: not a vector per batch
  ScheduleSettings shape = s_.schedule;  // the schedule as a factor of each optimiser's own base lr
  shape.lr = 1.0;
  if (writes()) fs::create_directories(fs::path(ctx.run_dir()) / "checkpoints");
  std::vector<std::string> cols = {"epoch", "train_loss"};
  for (auto& c : columns()) cols.push_back(c);
  cols.push_back("time");
  Reporter report(ctx, name(), cols, s_.tensorboard);
  int64_t per_epoch = data_->batches_per_epoch();
  if (s_.max_batches > 0) per_epoch = std::min(per_epoch, s_.max_batches);
  const int64_t total_steps = per_epoch * s_.epochs;

  int64_t first_epoch = 0, skip = 0;
  if (std::string from = ctx.resume_checkpoint(name()); !from.empty()) {
    std::tie(first_epoch, skip) = load_checkpoint(from);
    ctx.log(name() + ": resumed from " + from + " at epoch " + std::to_string(first_epoch) + ", batch " +
            std::to_string(skip) + " (step " + std::to_string(step_) + ")");
    report.resumed_after(step_);
  }
  if (dist_) start_together();
  // Its hooks stay on the networks only while this stage trains them.
  reducer_ = dist_ ? std::make_unique<GradientReducer>(*dist_, int64_t(s_.bucket_cap_mb * (1 << 20))) : nullptr;
  struct DropReducer {
    std::unique_ptr<GradientReducer>& r;
    ~DropReducer() { r.reset(); }
  } drop_reducer{reducer_};
  struct DropGraphs {  // their memory pools, once this stage is done
    std::unique_ptr<CudaGraphSteps>& g;
    ~DropGraphs() { g.reset(); }
  } drop_graphs{graphs_};
  // Installed for this stage's training only: another stage of the graph may not ask for it.
  struct SyncBn {
    explicit SyncBn(DistGroup* d) {
      if (d) layers::set_batch_norm_rank_sum([d](torch::Tensor& t) { d->sum(t, "sync_bn statistics"); });
    }
    ~SyncBn() { layers::set_batch_norm_rank_sum({}); }
  } sync_bn(s_.sync_bn ? dist_ : nullptr);
  dispatch(Event::TrainBegin);
  reset_cuda_peak(device_);
  for (epoch_ = first_epoch; epoch_ < s_.epochs; ++epoch_) {
    if (stop_now()) {  // between epochs: the epoch-end checkpoint is the position
      ctx.log(name() + ": stopped before epoch " + std::to_string(epoch_) + "; resume with --resume " + ctx.run_dir());
      return;
    }
    auto t0 = std::chrono::steady_clock::now();
    training_ = true;
    begin_epoch();
    dispatch(Event::EpochBegin);
    report.epoch_begin(epoch_, per_epoch);
    data_->start_epoch(epoch_, skip, device_);
    Batch b;
    int64_t done = skip, images = 0;
    skip = 0;
    while (done < per_epoch && !stop_now() && data_->next(b)) {
      ScheduleValue v = schedule_at(shape, step_, total_steps);
      for (Optim* o : scheduled) {
        o->set_lr(o->base_lr() * v.lr);
        if (v.momentum) o->set_momentum(*v.momentum);
      }
      train_batch(b);
      ++done, images += b.x.size(0);
      position_ = {epoch_, done};  // before BatchEnd: a callback's save_checkpoint_as resumes after this batch
      dispatch(Event::BatchEnd);   // switchers decide here
      report.batch(done, images, [&] { return progress_text(); });
      if (step_ % s_.log_every == 0) log_step(report);
      if (s_.checkpoint_every > 0 && step_ % s_.checkpoint_every == 0 && done < per_epoch)
        save_checkpoint(epoch_, done, checkpoint_path("last"));
    }
    data_->stop();
    if (stop_now()) {  // SIGINT: the step is done; keep it and stop
      save_checkpoint(epoch_, done, checkpoint_path("last"));
      ctx.log(name() + ": stopped at step " + std::to_string(step_) + "; resume with --resume " + ctx.run_dir());
      return;
    }
    if (done == 0) throw Error("the data gave no batch in epoch " + std::to_string(epoch_), name());
    check_finite(smooth_.value());
    end_of_epoch(report, images, t0);
    // Rank 0 may spend minutes at an epoch end (quality_monitor, checkpoints): the others wait
    // here rather than at the next step's collective, which has the short timeout.
    if (dist_) dist_->barrier(std::chrono::hours(2), "the end of epoch " + std::to_string(epoch_));
  }
  dispatch(Event::TrainEnd);
  finish();
}

void TrainingStage::start_graphs(const std::string& precision) {
  if (!device_.is_cuda()) {
    ctx_->log(name() + ": cuda_graphs: off on " + device_.str() + " (CUDA devices only)");
    return;
  }
  GraphConditions c{step_graph_variant().has_value(), precision == "fp16", dist_ != nullptr, ""};
  for (auto& cb : callbacks_)
    if (dynamic_cast<CriticAugment*>(cb.get())) c.augmentation = cb->name();
  if (std::string why = cuda_graphs_refusal(c); !why.empty())
    throw Error("cuda_graphs: " + why + "; set cuda_graphs false", name(), "cuda_graphs");
  graphs_ = std::make_unique<CudaGraphSteps>(device_, name(), [this](const std::string& line) { ctx_->log(line); });
}

// cuda_graphs: forward, loss and backward replayed as one graph; BackwardBegin then comes after
// backward (a callback cannot change the loss, so only its order differs).
torch::Tensor TrainingStage::forward_loss(const Batch& b) {
  torch::Tensor loss;
  {
    AutocastScope amp(device_.type(), autocast_);  // forwards and loss; backward runs outside
    loss = batch_loss(b);
  }
  return loss.to(torch::kFloat);  // a bf16/fp16 loss would round the smoothed values
}

torch::Tensor TrainingStage::graphed_step(const Batch& b) {
  torch::Tensor loss = graphs_->run(b, *step_graph_variant(), active_->params(), [this](const Batch& in) {
    torch::Tensor l = forward_loss(in);
    l.backward();
    return l;
  });
  return loss.detach().clone();  // the next replay rewrites the graph's output
}

void TrainingStage::train_batch(const Batch& b) {
  training_ = true;
  batch_size_ = b.x.size(0);
  if (dist_) seed_step();
  before_batch(b);
  dispatch(Event::BatchBegin);
  if (graphs_) {
    last_loss_ = graphed_step(b);
    dispatch(Event::BackwardBegin);
  } else {
    torch::Tensor loss = forward_loss(b);
    last_loss_ = loss.detach();
    dispatch(Event::BackwardBegin);
    if (dist_) agree_step();  // from here on last_loss_ is the mean over ranks
    if (reducer_) reducer_->arm(active_->params());
    scaler_.scale(loss).backward();
    if (reducer_) average_gradients();
  }
  after_backward();
  smooth_.add(last_loss_);
  scaler_.step(*active_);  // fp16: skipped when a gradient overflowed
  dispatch(Event::StepEnd);
  active_->zero_grad();
  after_step(last_loss_);
  ++step_;
}

void TrainingStage::end_of_epoch(Reporter& report, int64_t images, std::chrono::steady_clock::time_point t0) {
  position_ = {epoch_ + 1, 0};
  json row = {{"epoch", epoch_}, {"train_loss", smooth_.value()}, {"step", step_}};
  end_epoch(row);
  note_skipped_items(row);
  epoch_extra_ = json::object();
  dispatch(Event::EpochEnd);
  row.update(epoch_extra_);
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  row["time"] = secs;
  row["images_per_s"] = double(images) * (dist_ ? dist_->size() : 1) / secs;  // every rank's: equal shards
  if (auto peak = cuda_peak_allocated_mb(device_)) row["gpu_peak_mb"] = *peak;
  if (dist_ && sync_.steps > 0) row["allreduce_ms"] = 1000 * sync_.seconds / double(sync_.steps);
  sync_ = {};
  report.epoch_end(row);
  if (report.tensorboard()) {  // the weights' distributions, as TensorBoard users expect them
    std::vector<std::pair<std::string, Histogram>> weights;
    for (const Network& n : networks())
      for (const auto& p : n.module->named_parameters()) weights.emplace_back(n.role + "/" + p.key(), histogram_of(p.value()));
    report.histograms(std::move(weights), step_);
  }
  if (torch::Tensor imgs = writes() ? samples() : torch::Tensor(); imgs.defined()) {
    char file[32];
    std::snprintf(file, sizeof file, "epoch_%03lld.png", static_cast<long long>(epoch_));
    fs::create_directories(fs::path(ctx_->run_dir()) / "samples");
    const Image grid = image_grid(imgs, sample_columns());
    save_image(grid, (fs::path(ctx_->run_dir()) / "samples" / file).string());
    report.image("samples", grid, step_);  // TensorBoard's copy, when the stage asked for one
  }
  if (!loss_history_.empty() && writes())
    save_loss_plot(loss_history_, (fs::path(ctx_->run_dir()) / (name() + "_losses.png")).string());
  save_checkpoint(epoch_ + 1, 0, checkpoint_path("last"));
}

// The only per-step host sync besides the progress bar: every log_every steps.
void TrainingStage::log_step(Reporter& report) {
  check_finite(smooth_.value());
  if (auto p = loss_point()) loss_history_.push_back(*p);
  json rec = {{"step", step_}, {"epoch", epoch_}, {"train_loss", smooth_.value()}, {"lr", active_->lr()}};
  rec.update(step_fields());
  report.step_record(rec);
}

std::string TrainingStage::format_loss(const Smoother& s) {
  if (s.empty()) return "-";  // a network that has not trained yet has no loss (NaN stays NaN)
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4f", s.value());
  return buf;
}

std::string TrainingStage::progress_text() const { return "loss " + format_loss(smooth_); }

std::string TrainingStage::checkpoint_path(const std::string& tag) const {
  return (fs::path(ctx_->run_dir()) / "checkpoints" / (name() + "_" + tag + ".pt")).string();
}

void TrainingStage::save_checkpoint_as(const std::string& tag) {
  save_checkpoint(position_.first, position_.second, checkpoint_path(tag));
}

// Everything needed to continue exactly: the position (epoch, batches done), the step, the
// smoothed loss, the loss scale, the RNG, every callback's state, and the stage's own state.
void TrainingStage::save_checkpoint(int64_t epoch, int64_t batch, const std::string& path) {
  // A diverged state never replaces a good checkpoint (NaN stays in the smoothed loss).
  if (!smooth_.empty()) check_finite(smooth_.value());
  if (!writes()) return;  // rank 0 writes: every rank holds the same state
  json callbacks = json::object();
  for (auto& cb : callbacks_) callbacks[cb->name()] = cb->state();
  Checkpoint ck;
  ck.meta = {{"stage", name()}, {"kind", kind()}, {"epoch", epoch}, {"batch", batch}, {"step", step_},
             {"n_smooth", smooth_.count()}, {"callbacks", callbacks}, {"scaler", scaler_.state()},
             {"world_size", dist_ ? dist_->size() : 1}};
  ck.put("rng", cpu_rng_state());
  ck.put_tensor("smooth", smooth_.mov());
  for (auto& cb : callbacks_)
    if (auto* avg = dynamic_cast<const WeightAverage*>(cb.get())) ck.put("average:" + cb->name(), avg->averaged());
  save_state(ck);
  ck.save(path);
}

std::pair<int64_t, int64_t> TrainingStage::load_checkpoint(const std::string& path) {
  Checkpoint ck = Checkpoint::load(path);
  const json& meta = ck.meta;
  if (meta.value("stage", "") != name() || meta.value("kind", "") != kind())
    throw Error("checkpoint '" + path + "' belongs to the " + meta.value("kind", "?") + " stage '" +
                    meta.value("stage", "") + "', not to this " + kind() + " stage",
                name());
  load_state(ck);
  // Another world size resumes (the state is the same on every rank), but each rank's share
  // of the data, and the noise and RNG streams, differ from the original run's from here on.
  const int64_t world = dist_ ? dist_->size() : 1, saved_world = meta.value("world_size", int64_t(1));
  if (saved_world != world)
    warn("checkpoint '" + path + "' was written by a run of " + std::to_string(saved_world) + " process(es), this run has " +
         std::to_string(world) + ": it continues, but the data order and random streams differ from an uninterrupted run");
  set_cpu_rng_state(ck.at("rng").toTensor());
  smooth_.restore(ck.tensor("smooth", device_), meta.at("n_smooth").get<int64_t>());
  // A callback missing from the checkpoint is an error naming it: its state would be reset.
  const json& states = meta.at("callbacks");
  for (auto& cb : callbacks_) {
    if (!states.is_object() || !states.contains(cb->name()))
      throw Error("checkpoint '" + path + "' has no state for callback '" + cb->name() +
                      "' (was the graph's callback list changed?)",
                  name());
    cb->load_state(states[cb->name()]);
    if (auto* avg = dynamic_cast<WeightAverage*>(cb.get())) avg->load_averaged(ck.state("average:" + cb->name()));
  }
  scaler_.load_state(meta.at("scaler"));
  step_ = meta.at("step").get<int64_t>();
  position_ = {meta.at("epoch").get<int64_t>(), meta.at("batch").get<int64_t>()};
  return position_;
}

const WeightAverage* TrainingStage::weight_average_of(const Model& model) const {
  for (auto& cb : callbacks_)
    if (auto* avg = dynamic_cast<const WeightAverage*>(cb.get()); avg && avg->averaged_model().get() == &model) return avg;
  return nullptr;
}

int64_t TrainingStage::batch_size() const { return batch_size_ * (dist_ ? dist_->size() : 1); }

bool TrainingStage::writes() const { return !dist_ || dist_->world().main(); }

bool TrainingStage::stop_now() const { return dist_ ? stop_agreed_ : ctx_->stop_requested(); }

// Every rank starts from rank 0's weights and buffers, after rank 0 has finished whatever came
// before (a previous stage's evaluation may take longer than the collectives' timeout).
void TrainingStage::start_together() {
  dist_->barrier(std::chrono::hours(2), "waiting for every rank at the start");
  std::vector<torch::Tensor> state;
  for (const Network& n : networks()) {
    for (auto& p : n.module->parameters()) state.push_back(p.detach());
    for (auto& b : n.module->buffers()) state.push_back(b);
  }
  torch::NoGradGuard ng;
  dist_->broadcast(state, "sending rank 0's weights");
  stop_agreed_ = false;
}

// A function of (seed, rank, step) rather than a stream: a resumed rank continues exactly
// without every rank's RNG state in rank 0's checkpoint.
void TrainingStage::seed_step() {
  const uint64_t s = mix_seed(mix_seed(ctx_->seed() ^ 0x72616e6b73ULL) ^ mix_seed(uint64_t(dist_->rank()) + 1)) ^
                     uint64_t(step_);
  at::Generator cpu = at::detail::getDefaultCPUGenerator();  // a handle: seeding it seeds the default
  cpu.set_current_seed(s);
  if (device_.is_cuda()) {
    at::Generator dev = at::globalContext().defaultGenerator(device_);
    dev.set_current_seed(s);
  }
}

// Before backward, one small all-reduce of (loss, stop, mode, step): ranks that disagree on the
// mode or the step would all-reduce gradients of different networks, which hangs or corrupts
// silently, so that is an error here, before backward starts any. Switchers see the mean loss,
// so every rank decides the same switch.
void TrainingStage::agree_step() {
  const auto t0 = std::chrono::steady_clock::now();
  const bool gen = is_gan() && gen_mode();
  const auto on_device = torch::TensorOptions(device_).dtype(torch::kDouble);
  torch::Tensor tail = torch::stack({last_loss_.to(torch::kDouble).reshape({}),
                                     torch::scalar_tensor(ctx_->stop_requested() ? 1.0 : 0.0, on_device),
                                     torch::scalar_tensor(gen ? 1.0 : 0.0, on_device),
                                     torch::scalar_tensor(double(step_), on_device)});
  dist_->sum(tail, "step " + std::to_string(step_));
  const torch::Tensor host = tail.cpu();
  const double* v = host.data_ptr<double>();
  const double n = double(dist_->size());
  if (v[3] != double(step_) * n || (v[2] != 0 && v[2] != n))
    throw Error("rank " + std::to_string(dist_->rank()) + ": the ranks disagree at step " + std::to_string(step_) + " (" +
                    std::to_string(int64_t(v[2])) + " of " + std::to_string(dist_->size()) +
                    " train the generator; step sum " + std::to_string(int64_t(v[3])) + ")",
                name());
  stop_agreed_ = v[1] > 0;
  if (stop_agreed_) HostRunContext::request_stop();  // every rank ends as stopped (exit 130), not only the asked
  last_loss_ = torch::full({}, v[0] / n, last_loss_.options());
  sync_.seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// The active network's gradients, averaged (the frozen one's are never touched): most buckets'
// sums already ran during backward; this waits for the rest.
void TrainingStage::average_gradients() {
  const auto t0 = std::chrono::steady_clock::now();
  reducer_->finish("averaging gradients at step " + std::to_string(step_));
  sync_.seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  ++sync_.steps;
}

void TrainingStage::warn(const std::string& message) {
  if (ctx_) ctx_->log("warning: " + message);
}

void TrainingStage::info(const std::string& message) {
  if (ctx_) ctx_->log(message);
}

void TrainingStage::note_skipped_items(json& row) {
  int64_t skipped = data_->skipped_items();
  row["skipped_items"] = skipped;
  if (skipped == 0) return;
  std::string line = "warning: " + name() + ": skipped " + std::to_string(skipped) + " bad item" +
                     (skipped == 1 ? "" : "s") + " in epoch " + std::to_string(epoch_);
  if (auto* loader = dynamic_cast<const LoaderDataSource*>(data_.get())) line += "; the first: " + loader->first_skipped();
  ctx_->log(line);
}

void TrainingStage::dispatch(Event e) {
  for (auto& cb : callbacks_) {
    switch (e) {
      case Event::TrainBegin: cb->on_train_begin(*this); break;
      case Event::EpochBegin: cb->on_epoch_begin(*this); break;
      case Event::BatchBegin: cb->on_batch_begin(*this); break;
      case Event::BackwardBegin: cb->on_backward_begin(*this); break;
      case Event::StepEnd: cb->on_step_end(*this); break;
      case Event::BatchEnd: cb->on_batch_end(*this); break;
      case Event::EpochEnd: cb->on_epoch_end(*this); break;
      case Event::TrainEnd: cb->on_train_end(*this); break;
    }
  }
}

void TrainingStage::check_finite(double value) const {
  if (!std::isfinite(value))
    throw Error("the training loss is " + std::string(std::isnan(value) ? "NaN" : "infinite") + " at step " +
                    std::to_string(step_) + "; stopping (lower the lr, or check the data and the loss)",
                name());
}

}  // namespace ganflow
