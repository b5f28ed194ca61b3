//! The host's copy of the ABI constants agrees with the transform's.

use rewind_host::abi as host;
use rewind_transform::abi as transform;

#[test]
fn constants_agree() {
    assert_eq!(host::STATE_NORMAL, transform::STATE_NORMAL);
    assert_eq!(host::STATE_UNWINDING, transform::STATE_UNWINDING);
    assert_eq!(host::STATE_REWINDING, transform::STATE_REWINDING);
    assert_eq!(host::STATE_OVERFLOWED, transform::STATE_OVERFLOWED);
    assert_eq!(host::START_UNWIND, transform::START_UNWIND);
    assert_eq!(host::STOP_UNWIND, transform::STOP_UNWIND);
    assert_eq!(host::START_REWIND, transform::START_REWIND);
    assert_eq!(host::STOP_REWIND, transform::STOP_REWIND);
    assert_eq!(host::GET_STATE, transform::GET_STATE);
    assert_eq!(host::STACK_POINTER_GLOBAL, transform::STACK_POINTER_GLOBAL);
    for memory64 in [false, true] {
        assert_eq!(
            host::stack_end_offset(memory64),
            transform::stack_end_offset(memory64)
        );
    }
}
