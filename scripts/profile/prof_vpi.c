/*
 * prof_vpi.c -- where Icarus spends its time, per `always` block (a developer tool).
 *
 * scripts/profile_hdl.py puts `$prof_in(N);` at the start and `$prof_out(N);` at
 * the end of every always block of a copy of the HDL, loads this module into
 * vvp, and reads the table `$prof_dump(path)` writes at the end: for each
 * block, CPU timestamp ticks spent inside it and the number of evaluations.
 *
 * Caveat: a block that calls a Verilog task runs it as a forked thread, and
 * other threads may run before it resumes, so such a block's time includes
 * theirs. Blocks without task calls are measured exactly (plus the small cost
 * of two VPI calls).
 */
#include <stdint.h>
#include <stdio.h>
#include <vpi_user.h>
#include <x86intrin.h>

#define MAX_BLOCKS 4096

static uint64_t ticks[MAX_BLOCKS];
static uint64_t evals[MAX_BLOCKS];
static uint64_t entered[MAX_BLOCKS];

/* the block number, read once per call site at elaboration and kept as user data */
static PLI_INT32 remember_id(PLI_BYTE8 *unused)
{
    vpiHandle call = vpi_handle(vpiSysTfCall, NULL);
    vpiHandle args = vpi_iterate(vpiArgument, call);
    vpiHandle arg = vpi_scan(args);
    s_vpi_value value = {vpiIntVal};
    (void)unused;
    vpi_free_object(args);
    vpi_get_value(arg, &value);
    if (value.value.integer < 0 || value.value.integer >= MAX_BLOCKS) {
        vpi_printf("prof_vpi: block number %d out of range 0..%d\n", value.value.integer,
                   MAX_BLOCKS - 1);
        vpi_control(vpiFinish, 1);
    }
    vpi_put_userdata(call, (void *)(intptr_t)value.value.integer);
    return 0;
}

static int call_id(void)
{
    return (int)(intptr_t)vpi_get_userdata(vpi_handle(vpiSysTfCall, NULL));
}

static PLI_INT32 prof_in(PLI_BYTE8 *unused)
{
    int id = call_id();
    (void)unused;
    entered[id] = __rdtsc();
    return 0;
}

static PLI_INT32 prof_out(PLI_BYTE8 *unused)
{
    uint64_t now = __rdtsc();
    int id = call_id();
    (void)unused;
    ticks[id] += now - entered[id];
    evals[id]++;
    return 0;
}

static PLI_INT32 prof_dump(PLI_BYTE8 *unused)
{
    vpiHandle call = vpi_handle(vpiSysTfCall, NULL);
    vpiHandle args = vpi_iterate(vpiArgument, call);
    s_vpi_value path = {vpiStringVal};
    FILE *out;
    (void)unused;
    vpi_get_value(vpi_scan(args), &path);
    vpi_free_object(args);
    out = fopen(path.value.str, "w");
    if (out == NULL) {
        vpi_printf("prof_vpi: cannot write %s\n", path.value.str);
        return 0;
    }
    for (int id = 0; id < MAX_BLOCKS; id++) {
        if (evals[id]) {
            fprintf(out, "%d %llu %llu\n", id, (unsigned long long)ticks[id],
                    (unsigned long long)evals[id]);
        }
    }
    fclose(out);
    return 0;
}

static void register_tasks(void)
{
    s_vpi_systf_data in = {vpiSysTask, 0, "$prof_in", prof_in, remember_id, 0, 0};
    s_vpi_systf_data out = {vpiSysTask, 0, "$prof_out", prof_out, remember_id, 0, 0};
    s_vpi_systf_data dump = {vpiSysTask, 0, "$prof_dump", prof_dump, 0, 0, 0};
    vpi_register_systf(&in);
    vpi_register_systf(&out);
    vpi_register_systf(&dump);
}

void (*vlog_startup_routines[])(void) = {register_tasks, 0};
