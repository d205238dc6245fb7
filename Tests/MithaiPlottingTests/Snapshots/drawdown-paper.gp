reset
set terminal pngcairo size 800,500 enhanced font "DejaVu Serif,9" background rgb "#FFFFFF" linewidth 1
set output '/tmp/chart.png'
set encoding utf8
set datafile missing NaN
set border 3 lc rgb "#000000"
set tics nomirror textcolor rgb "#000000"
set key top left box lc rgb "#000000"
set title textcolor rgb "#000000"
set grid xtics ytics lc rgb "#D0D0D0" lw 1 dt 3
set multiplot
set origin 0,0.27
set size 1,0.69
set tmargin 0.5
set bmargin 0.5
set lmargin 11
set rmargin 10
set format x ""
unset title
set xdata time
set timefmt "%s"
set xtics 10
set key
unset xlabel
set ylabel "P\\&L"
unset logscale y
plot '$DATA0_0' binary format="%float64%float64" using 1:2 with lines lw 1.5 dt 1 lc rgb "#000000" title "equity"
set origin 0,0.04
set size 1,0.23
set tmargin 0.5
set bmargin 3
set lmargin 11
set rmargin 10
unset format
unset title
set xdata time
set timefmt "%s"
set xtics 10
set format x "%H:%M:%S" timedate
unset key
unset xlabel
set ylabel "drawdown"
unset logscale y
plot '$DATA1_0' binary format="%float64%float64" using 1:2 with filledcurves y1=0 fs solid 0.35 lc rgb "#333333" notitle
unset multiplot
unset output
