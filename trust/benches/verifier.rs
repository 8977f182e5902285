//! `AccessoryVerifier` against rustls's stock `WebPkiServerVerifier`, same process, same chain
//! (root -> intermediate -> leaf, ECDSA P-256, made with rcgen).
//!
//! Targets: anchors mode at most 1.1x the stock verifier (it is the same webpki path validation
//! plus an identity check and a pin), pin mode at most 0.5x (a hash instead of two signatures).
//! After criterion's report, prints the ratios from an interleaved min-of-runs measurement.

use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{criterion_group, Criterion};
use rcgen::{BasicConstraints, CertificateParams, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair};
use rustls::client::danger::ServerCertVerifier;
use rustls::client::WebPkiServerVerifier;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::RootCertStore;
use trust::{AccessoryVerifier, Anchors, Identity, Pin, TrustPolicy};

const NAME: &str = "bench-0001.accessory.local";

struct Chain {
    root: CertificateDer<'static>,
    intermediate: CertificateDer<'static>,
    leaf: CertificateDer<'static>,
}

fn chain() -> Chain {
    let ca = |name: &str| {
        let mut p = CertificateParams::new(Vec::<String>::new()).unwrap();
        p.distinguished_name.push(rcgen::DnType::CommonName, name);
        p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        p
    };
    let root_key = KeyPair::generate().unwrap();
    let root_params = ca("bench root");
    let root = root_params.clone().self_signed(&root_key).unwrap();
    let root_issuer = Issuer::new(root_params, root_key);

    let int_key = KeyPair::generate().unwrap();
    let int_params = ca("bench intermediate");
    let intermediate = int_params
        .clone()
        .signed_by(&int_key, &root_issuer)
        .unwrap();
    let int_issuer = Issuer::new(int_params, int_key);

    let leaf_key = KeyPair::generate().unwrap();
    let mut leaf_params = CertificateParams::new(vec![NAME.to_owned()]).unwrap();
    leaf_params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    let leaf = leaf_params.signed_by(&leaf_key, &int_issuer).unwrap();
    Chain {
        root: root.der().clone(),
        intermediate: intermediate.der().clone(),
        leaf: leaf.der().clone(),
    }
}

struct Contenders {
    stock: Arc<WebPkiServerVerifier>,
    anchors: Arc<AccessoryVerifier>,
    pin: Arc<AccessoryVerifier>,
}

fn contenders(c: &Chain) -> Contenders {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut roots = RootCertStore::empty();
    roots.add(c.root.clone()).unwrap();
    let stock = WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider)
        .build()
        .unwrap();
    let identity = Identity::Dns(NAME.to_owned());
    let anchors = AccessoryVerifier::new(
        TrustPolicy::builder()
            .anchors(Anchors::from_certificates(vec![c.root.clone()]).unwrap())
            .identity(identity.clone())
            .build()
            .unwrap(),
    );
    let pin = AccessoryVerifier::new(
        TrustPolicy::builder()
            .pin(Pin::of_certificate(&c.leaf).unwrap())
            .identity(identity)
            .build()
            .unwrap(),
    );
    Contenders {
        stock,
        anchors,
        pin,
    }
}

fn verify(v: &dyn ServerCertVerifier, c: &Chain, name: &ServerName<'_>, now: UnixTime) {
    v.verify_server_cert(
        black_box(&c.leaf),
        black_box(std::slice::from_ref(&c.intermediate)),
        name,
        &[],
        now,
    )
    .expect("the bench chain verifies");
}

fn bench(cr: &mut Criterion) {
    let c = chain();
    let v = contenders(&c);
    let name = ServerName::try_from(NAME).unwrap();
    let now = UnixTime::now();
    let mut group = cr.benchmark_group("verify_server_cert");
    group.bench_function("stock WebPkiServerVerifier", |b| {
        b.iter(|| verify(v.stock.as_ref(), &c, &name, now))
    });
    group.bench_function("AccessoryVerifier anchors", |b| {
        b.iter(|| verify(v.anchors.as_ref(), &c, &name, now))
    });
    group.bench_function("AccessoryVerifier pin", |b| {
        b.iter(|| verify(v.pin.as_ref(), &c, &name, now))
    });
    group.finish();
}

/// Interleaved runs, minimum per contender: robust against a busy machine.
fn ratios() {
    let c = chain();
    let v = contenders(&c);
    let name = ServerName::try_from(NAME).unwrap();
    let now = UnixTime::now();
    let contenders: [(&str, &dyn ServerCertVerifier); 3] = [
        ("stock", v.stock.as_ref()),
        ("anchors", v.anchors.as_ref()),
        ("pin", v.pin.as_ref()),
    ];
    let mut best = [Duration::MAX; 3];
    const ITERS: u32 = 500;
    for _ in 0..15 {
        for (i, (_, verifier)) in contenders.iter().enumerate() {
            let start = Instant::now();
            for _ in 0..ITERS {
                verify(*verifier, &c, &name, now);
            }
            best[i] = best[i].min(start.elapsed() / ITERS);
        }
    }
    let stock = best[0].as_secs_f64();
    println!("\nper verification (min of 15 interleaved runs of {ITERS}):");
    for (i, (label, _)) in contenders.iter().enumerate() {
        println!(
            "  {label:<8} {:>9.2} µs  {:.2}x stock",
            best[i].as_secs_f64() * 1e6,
            best[i].as_secs_f64() / stock
        );
    }
    println!("targets: anchors <= 1.10x stock, pin <= 0.50x stock");
}

criterion_group!(benches, bench);

fn main() {
    benches();
    Criterion::default().configure_from_args().final_summary();
    ratios();
}
