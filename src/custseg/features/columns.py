"""Which column of a purchase history plays which role, detected by name or given by flags."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from ..errors import DataError
from ..names import column_key

# Spellings seen in real exports, most specific first (Online Retail, the groceries file, plain).
ROLE_NAMES: dict[str, tuple[str, ...]] = {
    "customer": ("customerid", "customer", "custid", "customerno", "customernumber",
                 "custno", "custnum", "custnumber", "customercode", "custcode",
                 "membernumber", "memberid", "memberno", "member", "clientid", "clientno",
                 "clientnumber", "client", "userid", "accountid", "accountno", "accountnumber",
                 "buyerid", "shopperid"),
    "date": ("invoicedate", "orderdate", "transactiondate", "purchasedate", "salesdate",
             "saledate", "transdate", "trandate", "orderdatetime", "date", "datetime",
             "timestamp", "time"),
    "order": ("invoiceno", "invoice", "invoicenumber", "invoiceid", "orderid", "orderno",
              "ordernumber", "order", "transactionid", "transactionno", "receiptid", "receiptno",
              "basketid", "receiptnumber", "billno", "billnumber"),
    "product": ("stockcode", "productid", "productcode", "sku", "itemid", "itemcode", "product",
                "productname", "itemdescription", "item", "description"),
    "quantity": ("quantity", "qty", "units", "unitssold", "qtysold", "quantitysold"),
    "price": ("unitprice", "price", "itemprice", "priceeach"),
    "amount": ("amount", "lineamount", "linetotal", "totalamount", "total", "sales", "revenue",
               "netamount", "spend", "spent", "salesamount", "netsales", "linevalue"),
}
FLAGS = {role: f"--{role}-col" for role in ROLE_NAMES}


@dataclass
class ColumnMap:
    customer: str
    date: str
    order: str | None = None
    product: str | None = None
    quantity: str | None = None
    price: str | None = None
    amount: str | None = None

    @property
    def has_money(self) -> bool:
        return self.amount is not None or (self.quantity is not None and self.price is not None)

    def to_dict(self) -> dict[str, str | None]:
        return asdict(self)


def map_columns(columns: list[str], given: dict[str, str | None]) -> ColumnMap:
    """Resolve every role: the flag's column when given (it must exist), else detection; the
    customer and the date must be found."""
    found = find_columns(columns, given)
    shown = ", ".join(f"'{c}'" for c in columns)
    for role in ("customer", "date"):
        if not found[role]:
            examples = ", ".join(ROLE_NAMES[role][:4])
            raise DataError(
                f"no {'customer id' if role == 'customer' else 'purchase date'} column found "
                f"(looked for names like {examples}; columns are: {shown}); name it with "
                f"{FLAGS[role]}"
            )
    return ColumnMap(**found)  # type: ignore[arg-type]


def find_columns(columns: list[str], given: dict[str, str | None] | None = None
                 ) -> dict[str, str | None]:
    """Each role's column: the flag's when given (it must exist), else the first synonym of
    ``ROLE_NAMES`` among the columns not taken by an earlier role; None where none matches
    (the web app pre-fills its mapping with this and lets the analyst fill the gaps)."""
    given = given or {}
    by_key: dict[str, str] = {}
    for column in columns:
        by_key.setdefault(column_key(column), column)
    shown = ", ".join(f"'{c}'" for c in columns)
    found: dict[str, str | None] = {}
    taken: set[str] = set()
    for role, names in ROLE_NAMES.items():
        wanted = given.get(role)
        if wanted:
            match = wanted if wanted in columns else by_key.get(column_key(wanted))
            if match is None:
                raise DataError(f"column '{wanted}' given in {FLAGS[role]} not found; columns "
                                f"are: {shown}")
            found[role] = match
        else:
            found[role] = next((by_key[n] for n in names
                                if n in by_key and by_key[n] not in taken), None)
        if found[role]:
            taken.add(found[role])  # type: ignore[arg-type]
    return found
