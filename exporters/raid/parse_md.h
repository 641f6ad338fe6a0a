// Linux software RAID (md) from /proc/mdstat.
//
// ToolOutputs keys read:
//   "mdstat"  the contents of /proc/mdstat (required).
//
// The report has node_exporter's mdadm collector families in `extra`, with
// the same names, labels and values node_exporter derives from the same
// file (node_md_state{device,state}, node_md_disks{device,state},
// node_md_disks_required{device}, node_md_blocks{device},
// node_md_blocks_synced{device}), plus state="reshape" in node_md_state
// (node_exporter parses it but exports all zeros). The common model gets one
// logical drive per array (controller and drive = "mdN") and one physical
// drive per member (controller "mdN", drive "sda1"):
//   array ok        active, all members up, or a check running, or an
//                   inactive external-metadata container (IMSM/DDF)
//   array warning   recovery running (rebuild progress is exported),
//                   recovery queued (resync=DELAYED/PENDING on a degraded
//                   array), resync, reshape, a faulty extra member while
//                   the array itself is complete
//   array critical  degraded ([n/m] with m < n or "_") with no recovery,
//                   inactive (not a container), raid0/linear with a faulty
//                   member
//   array unknown   a status line we cannot read
//   member          active/spare ok, faulty (F) critical
// Pure function: no I/O.
#ifndef EXPORTERD_RAID_PARSE_MD_H_
#define EXPORTERD_RAID_PARSE_MD_H_

#include "raid_model.h"

namespace exporterd::raid {

ParseResult ParseMd(const ToolOutputs& outputs);

}  // namespace exporterd::raid

#endif  // EXPORTERD_RAID_PARSE_MD_H_
