import { strict as assert } from "assert";
import { mebibytes, parseBytes } from "../../components/quantity";

describe("quantities", () => {
  it("parses binary and decimal byte quantities", () => {
    assert.equal(parseBytes("1Ki"), 1024);
    assert.equal(parseBytes("1k"), 1000);
    assert.equal(mebibytes("2Gi"), 2048);
    assert.equal(mebibytes("1.5Gi"), 1536);
  });
  it("refuses what Kubernetes would refuse", () => {
    for (const bad of ["10GB", "ten", "-1Gi", "1 Gi", ""])
      assert.equal(parseBytes(bad), undefined, bad);
  });
});
