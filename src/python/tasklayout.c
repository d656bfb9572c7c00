/* SPDX-License-Identifier: MIT */
/* The task walker's object layouts, one table per minor version 3.11+. */
#include "taskwalk_impl.h"

#include "error.h"
#include "pylayout.h"

/* Derived from Modules/_asynciomodule.c (FutureObj_HEAD, TaskObj),
 * Include/internal/pycore_genobject.h / pycore_interpframe_structs.h
 * (_PyGenObject_HEAD), pycore_frame.h (PyFrameState, _PyInterpreterFrame)
 * and pycore_tstate.h (_PyThreadStateImpl) of each version, and checked
 * against the memory of real interpreters (pyenv 3.11.7, 3.12.1, 3.13.0,
 * Debian 3.11.2, 3.14.10, 3.15.2; README "asyncio tasks"). */
#define COMMON_311_313 \
    .task_loop = 16, .task_awaited_by = OFF_NONE, .task_awaited_by_is_set = OFF_NONE, \
    .task_is_task = OFF_NONE, .task_node = OFF_NONE, .tstate_running_loop = OFF_NONE, \
    .tstate_running_task = OFF_NONE, .tstate_tasks_head = OFF_NONE, \
    .interp_tasks_head = OFF_NONE, .frame_stacktop = 64, .frame_localsplus = 72, \
    .frame_stackpointer = OFF_NONE, .frame_read = 72, .yf_depth = 1

#define COMMON_314 \
    .task_loop = 16, .task_awaited_by = 96, .task_is_task = 108, .task_state = 104, \
    .task_awaited_by_is_set = 109, .task_fut_waiter = 120, .task_coro = 128, \
    .task_name = 136, .task_node = 152, .task_size = 168, .gen_frame_state = 67, \
    .gen_iframe = 72, .resume_opcode = -1, .resume_opcode2 = -1, .frame_stacktop = OFF_NONE, \
    .frame_localsplus = 80, .frame_stackpointer = 64, .frame_read = 72

static const struct task_layout tables[] = {
    /* RESUME_QUICK (150) is 3.11's quickened RESUME */
    {.minor = 11, COMMON_311_313, .task_state = 88, .task_fut_waiter = 128, .task_coro = 136, .task_name = 144,
     .task_size = 176, .gen_frame_state = 75, .gen_iframe = 80, .state_created = -2,
     .state_suspended = -1, .state_yf = TASK_STATE_NONE, .state_yf2 = TASK_STATE_NONE,
     .resume_opcode = 151, .resume_opcode2 = 150},
    /* INSTRUMENTED_RESUME (240) is 3.12's RESUME under sys.monitoring */
    {.minor = 12, COMMON_311_313, .task_state = 88, .task_fut_waiter = 128, .task_coro = 136, .task_name = 144,
     .task_size = 176, .gen_frame_state = 67, .gen_iframe = 72, .state_created = -2,
     .state_suspended = -1, .state_yf = TASK_STATE_NONE, .state_yf2 = TASK_STATE_NONE,
     .resume_opcode = 151, .resume_opcode2 = 240},
    {.minor = 13, COMMON_311_313, .task_state = 96, .task_fut_waiter = 112, .task_coro = 120, .task_name = 128,
     .task_size = 144, .gen_frame_state = 67, .gen_iframe = 72, .state_created = -3,
     .state_suspended = -2, .state_yf = -1, .state_yf2 = TASK_STATE_NONE, .resume_opcode = -1,
     .resume_opcode2 = -1},
    {.minor = 14, COMMON_314, .tstate_running_loop = 864, .tstate_running_task = 872,
     .tstate_tasks_head = 880, .interp_tasks_head = 0x2a80, .state_created = -3,
     .state_suspended = -2, .state_yf = -1, .state_yf2 = TASK_STATE_NONE, .yf_depth = 1},
    /* 3.15 renumbered the frame states and added a locked yield-from; a
     * suspended SEND keeps a NULL above the awaited object (seen in
     * 3.15.2's memory: _PyFrame_StackPeek takes a depth there) */
    {.minor = 15, COMMON_314, .tstate_running_loop = 1024, .tstate_running_task = 1032,
     .tstate_tasks_head = 1048, .interp_tasks_head = 0x2a68, .state_created = 0,
     .state_suspended = 1, .state_yf = 2, .state_yf2 = 3, .yf_depth = 2},
};

const struct task_layout *tasklayout_for(int minor)
{
    const int n = (int)(sizeof tables / sizeof tables[0]);
    if (minor < tables[0].minor)
        return NULL;
    for (int i = 0; i < n; i++)
        if (tables[i].minor == minor)
            return &tables[i];
    return &tables[n - 1];
}

/* Py_AsyncioModuleDebugOffsets (Modules/_asynciomodule.c, 3.14+), 13
 * uint64_t: the task object {size, task_name, task_awaited_by,
 * task_is_task, task_awaited_by_is_set, task_coro, task_node}, the
 * interpreter state {size, asyncio_tasks_head} and the thread state
 * {size, asyncio_running_loop, asyncio_running_task, asyncio_tasks_head}. */
enum {
    D_TASK_SIZE, D_TASK_NAME, D_AWAITED_BY, D_IS_TASK, D_AWAITED_BY_IS_SET, D_CORO, D_NODE,
    D_INTERP_SIZE, D_INTERP_HEAD, D_TSTATE_SIZE, D_RUNNING_LOOP, D_RUNNING_TASK, D_TSTATE_HEAD,
};

static int inside(uint64_t off, uint64_t width, uint64_t size)
{
    return size <= (1u << 24) && off >= 16 && off + width <= size;
}

int tasklayout_from_debug(const uint64_t w[13], struct task_layout *tl)
{
    uint64_t ts = w[D_TASK_SIZE];
    if (!inside(w[D_TASK_NAME], 8, ts) || !inside(w[D_AWAITED_BY], 8, ts) ||
        !inside(w[D_IS_TASK], 1, ts) || !inside(w[D_AWAITED_BY_IS_SET], 1, ts) ||
        !inside(w[D_CORO], 8, ts) || !inside(w[D_NODE], 16, ts) ||
        !inside(w[D_INTERP_HEAD], 16, w[D_INTERP_SIZE]) ||
        !inside(w[D_RUNNING_LOOP], 8, w[D_TSTATE_SIZE]) ||
        !inside(w[D_RUNNING_TASK], 8, w[D_TSTATE_SIZE]) ||
        !inside(w[D_TSTATE_HEAD], 16, w[D_TSTATE_SIZE]) || ts > 4096)
        return ERR_CORRUPT;
    tl->task_size = (int32_t)ts;
    tl->task_name = (int32_t)w[D_TASK_NAME];
    tl->task_awaited_by = (int32_t)w[D_AWAITED_BY];
    tl->task_is_task = (int32_t)w[D_IS_TASK];
    tl->task_awaited_by_is_set = (int32_t)w[D_AWAITED_BY_IS_SET];
    tl->task_coro = (int32_t)w[D_CORO];
    tl->task_node = (int32_t)w[D_NODE];
    tl->interp_tasks_head = (int32_t)w[D_INTERP_HEAD];
    tl->tstate_running_loop = (int32_t)w[D_RUNNING_LOOP];
    tl->tstate_running_task = (int32_t)w[D_RUNNING_TASK];
    tl->tstate_tasks_head = (int32_t)w[D_TSTATE_HEAD];
    return 0;
}
