//! Little-endian field access over a slice whose length was checked once by the caller.
//! Every accessor still returns a default instead of panicking, so a wrong offset in our own
//! code can produce a wrong value in a test, never a crash in the driver.

/// A cursor that reads fixed-size little-endian fields.
pub(crate) struct Fields<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Fields<'a> {
    pub(crate) fn new(bytes: &'a [u8]) -> Self {
        Fields { bytes, at: 0 }
    }

    pub(crate) fn array<const N: usize>(&mut self) -> [u8; N] {
        let mut out = [0u8; N];
        if let Some(src) = self.bytes.get(self.at..self.at.saturating_add(N)) {
            out.copy_from_slice(src);
        }
        self.at = self.at.saturating_add(N);
        out
    }

    pub(crate) fn u8(&mut self) -> u8 {
        let [byte] = self.array::<1>();
        byte
    }

    pub(crate) fn u16(&mut self) -> u16 {
        u16::from_le_bytes(self.array())
    }

    pub(crate) fn u32(&mut self) -> u32 {
        u32::from_le_bytes(self.array())
    }

    pub(crate) fn u64(&mut self) -> u64 {
        u64::from_le_bytes(self.array())
    }

    /// The next `len` bytes (empty if they are not there).
    pub(crate) fn take(&mut self, len: usize) -> &'a [u8] {
        let out = self
            .bytes
            .get(self.at..self.at.saturating_add(len))
            .unwrap_or(&[]);
        self.at = self.at.saturating_add(len);
        out
    }

    /// Everything not read yet.
    pub(crate) fn rest(&mut self) -> &'a [u8] {
        let out = self.bytes.get(self.at..).unwrap_or(&[]);
        self.at = self.bytes.len();
        out
    }
}
