// Shared by every kernel. Include it first (after enabling GL_GOOGLE_include_directive): it enables the
// extensions the others use.
//
// Buffers are bound as storage buffers starting at an offset aligned for the device; where a tensor's rows
// begin a little after that, the kernel gets the distance in its push constants (`*_offset`, counted in
// the buffer's elements, or in bytes for weights).
#extension GL_EXT_control_flow_attributes : enable
#ifdef USE_SUBGROUPS
#extension GL_KHR_shader_subgroup_basic : require
#extension GL_KHR_shader_subgroup_arithmetic : require
#endif

// Dispatches of more work groups than a dimension allows (65535 at least) are laid out in two dimensions;
// this is the work group's index in the flat order. Groups past the end of the work return early.
uint flat_workgroup() { return gl_WorkGroupID.y * gl_NumWorkGroups.x + gl_WorkGroupID.x; }
