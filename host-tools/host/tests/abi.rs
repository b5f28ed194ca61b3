//! The host's copies of the ABI names and numbers agree with the
//! transform's: the Asyncify constants and those of the diagnostic builds
//! (`rewind_host::abi`), and the fuel names (`rewind_host::fuel`).

use rewind_host::wasmi::{Engine, ExternType};
use rewind_host::{abi as host, fuel as host_fuel};
use rewind_transform::{FuelOptions, Options, abi as transform, fuel as transform_fuel};

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
    assert_eq!(host::STATE_GLOBAL, transform::STATE_GLOBAL);
    assert_eq!(host::DATA_GLOBAL, transform::DATA_GLOBAL);
    assert_eq!(host::STACK_POINTER_GLOBAL, transform::STACK_POINTER_GLOBAL);
    for memory64 in [false, true] {
        assert_eq!(
            host::stack_end_offset(memory64),
            transform::stack_end_offset(memory64)
        );
    }
}

#[test]
fn diagnostic_names_agree() {
    assert_eq!(
        host::MISSING_FUNCTION_GLOBAL,
        transform::MISSING_FUNCTION_GLOBAL
    );
    assert_eq!(
        host::MISSING_CALLEE_GLOBAL,
        transform::MISSING_CALLEE_GLOBAL
    );
    assert_eq!(
        host::MISSING_CALLEE_INDIRECT,
        transform::MISSING_CALLEE_INDIRECT
    );
    assert_eq!(
        host::MISSING_CALLEE_REWOUND_INTO,
        transform::MISSING_CALLEE_REWOUND_INTO
    );
    assert_eq!(host::ASSERTS_SECTION, transform::ASSERTS_SECTION);
    assert_eq!(
        host::ASSERTS_SECTION_HEADER,
        transform::ASSERTS_SECTION_HEADER
    );
    assert_eq!(host::UNWOUND_IMPORT, transform::UNWOUND_IMPORT);
    assert_eq!(host::UNWOUND_SECTION, transform::UNWOUND_SECTION);
    assert_eq!(
        host::UNWOUND_SECTION_HEADER,
        transform::UNWOUND_SECTION_HEADER
    );
}

#[test]
fn fuel_names_agree() {
    assert_eq!(host_fuel::FUEL_GLOBAL, transform_fuel::FUEL_GLOBAL);
    assert_eq!(
        host_fuel::OUT_OF_FUEL_IMPORT,
        transform_fuel::OUT_OF_FUEL_IMPORT
    );
}

/// What the metering pass really emits, checked against the host's names
/// (the module of an imported fuel global has no constant in the
/// transform).
#[test]
fn metered_modules_use_the_hosts_fuel_names() {
    let wasm = wat::parse_str(r#"(module (memory 1) (func (export "f") (loop (br 0))))"#).unwrap();
    let engine = Engine::default();
    let meter = |import_fuel| {
        let fuel = FuelOptions {
            import_fuel,
            ..FuelOptions::default()
        };
        let metered = rewind_transform::meter(&wasm, &fuel, &Options::default()).unwrap();
        rewind_host::wasmi::Module::new(&engine, &metered.wasm).unwrap()
    };

    let exported = meter(false);
    assert!(matches!(
        exported.get_export(host_fuel::FUEL_GLOBAL),
        Some(ExternType::Global(_))
    ));
    let (module, name) = host_fuel::OUT_OF_FUEL_IMPORT;
    assert!(
        exported
            .imports()
            .any(|i| (i.module(), i.name()) == (module, name)
                && matches!(i.ty(), ExternType::Func(_)))
    );

    let imported = meter(true);
    assert!(imported.imports().any(|i| {
        (i.module(), i.name()) == (host_fuel::FUEL_GLOBAL_IMPORT_MODULE, host_fuel::FUEL_GLOBAL)
            && matches!(i.ty(), ExternType::Global(_))
    }));
}
