-- Composite token+quantity entries (Observation code-value-quantity and
-- component-code-value-quantity) are searched by code and a canonical range:
-- without this index SQLite reads every entry of the code.
CREATE INDEX idx_cq ON idx (p, c, s, cu, chi, clo, res) WHERE chi IS NOT NULL;
