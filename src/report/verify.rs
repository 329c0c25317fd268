//! Output of `pushgate verify`: one verdict per object, human or JSON
//! (`{"objects": [{"id", "kind", "status", "format", "signer"}]}`, DESIGN.md).

use gix::ObjectId;
use serde_json::json;

use super::Format;
use crate::checks::signatures::ObjectKind;
use crate::checks::signatures::verify::{Status, Verdict};

/// The verdicts of one `verify` run.
pub struct Verified {
    pub objects: Vec<(ObjectId, ObjectKind, Verdict)>,
}

impl Verified {
    pub fn all_valid(&self) -> bool {
        self.objects.iter().all(|(_, _, v)| v.status == Status::Valid)
    }

    pub fn render(&self, format: Format) -> String {
        match format {
            Format::Human => self
                .objects
                .iter()
                .map(|(id, kind, v)| {
                    let kind = if *kind == ObjectKind::Tag { "tag" } else { "commit" };
                    let fmt = v.format.map_or("-", |f| f.as_str());
                    let signer = v.signer.as_deref().unwrap_or("-");
                    format!("{id} {kind} {} {fmt} {signer}: {}\n", v.status.as_str(), v.detail)
                })
                .collect(),
            Format::Json | Format::Sarif => {
                let objects: Vec<_> = self
                    .objects
                    .iter()
                    .map(|(id, kind, v)| {
                        json!({
                            "id": id.to_hex().to_string(),
                            "kind": kind,
                            "status": v.status.as_str(),
                            "format": v.format.map(|f| f.as_str()),
                            "signer": v.signer,
                            "key": v.key,
                            "detail": v.detail,
                        })
                    })
                    .collect();
                format!("{}\n", json!({ "objects": objects }))
            }
        }
    }
}
